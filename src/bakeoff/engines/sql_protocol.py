"""Servers reached through SQLAlchemy: PostgreSQL and MySQL/MariaDB.

Both answer readiness with `SELECT 1` and their version with `SELECT version()`; they
differ in how knobs go on the command line and how a setting is read back.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from bakeoff.engines.base import ProvisioningError
from bakeoff.engines.protocol import DATABASE, UNREADABLE, USER, ReadinessProbe, ServerFacts

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from bakeoff.engines.catalog import EngineSpec


_TIMEOUT_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "psycopg": ("connect_timeout",),
    "psycopg2": ("connect_timeout",),
    "pg8000": ("timeout",),
    "pymysql": ("connect_timeout", "read_timeout"),
    "mysqldb": ("connect_timeout", "read_timeout"),
    "mysqlconnector": ("connection_timeout",),
}
"""Each DBAPI driver's own names for its connect (and read) timeouts: a name one driver
does not know fails its connect, so a probe passes only the names of the driver in use."""


def timeout_arguments(driver: str, seconds: int) -> dict[str, Any]:
    """Connect arguments bounding a probe's connection by `seconds` (none for a driver
    whose timeout option is not known here: it then waits as long as the driver does)."""
    return dict.fromkeys(_TIMEOUT_ARGUMENTS.get(driver, ()), seconds)


@contextlib.contextmanager
def sql_connection(url: str, timeout_s: float) -> Iterator[Connection]:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    seconds = max(1, round(timeout_s))
    connect_args = timeout_arguments(make_url(url).get_driver_name(), seconds)
    # NullPool: a probe's connection must really close, not linger in a pool.
    engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


@dataclass(frozen=True)
class SqlQueryReady:
    """Ready when `SELECT 1` returns 1 over a fresh SQLAlchemy connection."""

    url: str
    timeout_s: float = 3.0

    def attempt(self) -> None:
        with sql_connection(self.url, self.timeout_s) as connection:
            if connection.exec_driver_sql("SELECT 1").scalar_one() != 1:
                raise ProvisioningError("SELECT 1 did not return 1")

    def describe(self) -> str:
        return "SELECT 1"


class _SqlServer:
    """What PostgreSQL and MySQL share; subclasses say how a setting is read."""

    def server_url(self, spec: EngineSpec, host: str, port: int, password: str) -> str:
        return f"{spec.url_scheme}://{USER}:{quote(password, safe='')}@{host}:{port}/{DATABASE}"

    def knob_args(self, knobs: Mapping[str, str]) -> list[str]:
        return [f"--{name}={value}" for name, value in knobs.items()]

    def knob_env(self, knobs: Mapping[str, str]) -> dict[str, str]:
        return {}

    def readiness(self, url: str) -> ReadinessProbe:
        return SqlQueryReady(url)

    def read_facts(self, url: str, names: Sequence[str], timeout_s: float) -> ServerFacts:
        from sqlalchemy import text

        with sql_connection(url, timeout_s) as connection:
            version = str(connection.execute(text("SELECT version()")).scalar_one())
            settings = {}
            for name in names:
                value = self._setting(connection, name)
                settings[name] = UNREADABLE if value is None else str(value)
            return ServerFacts(version, settings)

    def _setting(self, connection: Connection, name: str) -> object:
        raise NotImplementedError


class PostgresProtocol(_SqlServer):
    """`-c name=value`; settings via current_setting()."""

    name = "postgres"

    def knob_args(self, knobs: Mapping[str, str]) -> list[str]:
        return [arg for name, value in knobs.items() for arg in ("-c", f"{name}={value}")]

    def _setting(self, connection: Connection, name: str) -> object:
        from sqlalchemy import text

        # missing_ok: an unknown name yields NULL instead of aborting the session
        return connection.execute(
            text("SELECT current_setting(:name, true)"), {"name": name}
        ).scalar_one()


class MysqlProtocol(_SqlServer):
    """`--name=value`; settings via @@GLOBAL.name (MySQL and MariaDB)."""

    name = "mysql"

    def _setting(self, connection: Connection, name: str) -> object:
        from sqlalchemy import text
        from sqlalchemy.exc import DBAPIError

        # System variables cannot be bound parameters; the provisioner validated the
        # name, and options that are not variables (--skip-log-bin) fail here.
        variable = name.replace("-", "_")
        try:
            return connection.execute(text(f"SELECT @@GLOBAL.{variable}")).scalar_one()
        except DBAPIError:
            return None


POSTGRES = PostgresProtocol()
MYSQL = MysqlProtocol()


MYSQL_REPORTED_SETTINGS = (
    "innodb_flush_log_at_trx_commit",
    "sync_binlog",
    "innodb_buffer_pool_size",
    "max_connections",
)
"""Durability and capacity settings every server of the MySQL family reports (MariaDB,
MySQL): recorded with each result beside the knobs."""
