"""Settings, CQL text and the URL of the Cassandra adapter: pure, no driver needed.

Settings (all recorded with every result)
    Read from the adapter options first, then the endpoint's settings, where the
    provisioner puts the engine's client knobs (catalog ``client_knobs``; set per run with
    ``--knob cassandra.consistency_read=QUORUM``), then the defaults below:

    ``keyspace`` (bakeoff), ``replication_strategy`` (SimpleStrategy or
    NetworkTopologyStrategy, whose factor applies to the coordinator's data centre),
    ``replication_factor`` (1), ``consistency_read`` and ``consistency_write`` (ONE; any
    level name cassandra-driver knows). The keyspace is created when missing; an existing
    one with a different replication is an error rather than silently benchmarked.
    Adapter options are not recorded by the runner: use knobs for anything measured.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from bakeoff.adapters.errors import FatalError, UnsupportedError
from bakeoff.adapters.protocol import Record

KEY_COLUMN = "y_id"
DEFAULT_PORT = 9042
DEFAULTS: Mapping[str, str] = {
    "keyspace": "bakeoff",
    "replication_strategy": "SimpleStrategy",
    "replication_factor": "1",
    "consistency_read": "ONE",
    "consistency_write": "ONE",
}
"""Client-side settings and their defaults (the catalog's `client_knobs` repeat them)."""
STRATEGIES = ("SimpleStrategy", "NetworkTopologyStrategy")
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,47}\Z")
_STRATEGY_PACKAGE = "org.apache.cassandra.locator."


def identifier(name: str, what: str) -> str:
    """`name` double-quoted for CQL, after checking it is a plain identifier."""
    if not _IDENTIFIER.match(name):
        raise UnsupportedError(
            f"{what} {name!r} is not a valid Cassandra name (a letter, then letters, "
            "digits or _, at most 48 characters)"
        )
    return f'"{name}"'


@dataclass(frozen=True)
class CassandraSettings:
    keyspace: str
    replication_strategy: str
    replication_factor: int
    consistency_read: str
    consistency_write: str

    @classmethod
    def resolve(cls, options: Mapping[str, str], settings: Mapping[str, str]) -> CassandraSettings:
        """Options over endpoint settings over DEFAULTS; raises FatalError when invalid."""
        from cassandra import ConsistencyLevel

        def pick(name: str) -> str:
            return str(options.get(name) or settings.get(name) or DEFAULTS[name]).strip()

        keyspace = pick("keyspace")
        identifier(keyspace, "keyspace")
        strategy = pick("replication_strategy").removeprefix(_STRATEGY_PACKAGE)
        if strategy not in STRATEGIES:
            raise FatalError(
                f"replication_strategy {strategy!r}: expected one of {', '.join(STRATEGIES)}"
            )
        factor_text = pick("replication_factor")
        if not factor_text.isdigit() or int(factor_text) < 1:
            raise FatalError(f"replication_factor {factor_text!r}: expected a whole number >= 1")
        levels = {}
        for name in ("consistency_read", "consistency_write"):
            level = pick(name).upper()
            if level not in ConsistencyLevel.name_to_value:
                known = ", ".join(sorted(ConsistencyLevel.name_to_value))
                raise FatalError(f"{name} {level!r}: expected one of {known}")
            levels[name] = level
        if levels["consistency_read"] == "ANY":
            raise FatalError("consistency_read ANY: ANY applies to writes only")
        return cls(
            keyspace=keyspace,
            replication_strategy=strategy,
            replication_factor=int(factor_text),
            consistency_read=levels["consistency_read"],
            consistency_write=levels["consistency_write"],
        )

    def replication(self, datacenter: str) -> dict[str, str]:
        """The keyspace's replication map as Cassandra reports it in system_schema."""
        if self.replication_strategy == "SimpleStrategy":
            return {
                "class": _STRATEGY_PACKAGE + "SimpleStrategy",
                "replication_factor": str(self.replication_factor),
            }
        return {
            "class": _STRATEGY_PACKAGE + "NetworkTopologyStrategy",
            datacenter: str(self.replication_factor),
        }


def replication_cql(replication: Mapping[str, str]) -> str:
    """A replication map as a CQL map literal (values are validated names and numbers)."""
    items = ", ".join(f"'{k.replace(chr(39), chr(39) * 2)}': '{v}'" for k, v in replication.items())
    return "{" + items + "}"


@dataclass(frozen=True)
class TableCql:
    """CQL text for one table. Every statement names the keyspace: the session has none."""

    keyspace: str
    table: str
    fields: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{identifier(self.keyspace, 'keyspace')}.{identifier(self.table, 'table')}"

    def columns(self, fields: Sequence[str]) -> str:
        return ", ".join(identifier(f, "field") for f in fields)

    def create(self) -> str:
        cols = "".join(f", {identifier(f, 'field')} text" for f in self.fields)
        return (
            f"CREATE TABLE IF NOT EXISTS {self.name} "
            f"({identifier(KEY_COLUMN, 'key')} text PRIMARY KEY{cols})"
        )

    def drop(self) -> str:
        return f"DROP TABLE IF EXISTS {self.name}"

    def insert(self, fields: Sequence[str]) -> str:
        key = identifier(KEY_COLUMN, "key")
        names = ", ".join([key, *(identifier(f, "field") for f in fields)])
        marks = ", ".join("?" * (len(fields) + 1))
        return f"INSERT INTO {self.name} ({names}) VALUES ({marks})"

    def read(self, fields: Sequence[str]) -> str:
        return (
            f"SELECT {self.columns(fields)} FROM {self.name} "
            f"WHERE {identifier(KEY_COLUMN, 'key')} = ?"
        )

    def update(self, fields: Sequence[str]) -> str:
        assignments = ", ".join(f"{identifier(f, 'field')} = ?" for f in fields)
        return f"UPDATE {self.name} SET {assignments} WHERE {identifier(KEY_COLUMN, 'key')} = ?"

    def delete(self) -> str:
        return f"DELETE FROM {self.name} WHERE {identifier(KEY_COLUMN, 'key')} = ?"

    def scan(self, fields: Sequence[str], *, wrapped: bool) -> str:
        """From the start key's token to the end of the ring, or (`wrapped`) from the
        lowest token up to just before it."""
        key = identifier(KEY_COLUMN, "key")
        comparison = "<" if wrapped else ">="
        return (
            f"SELECT {key}, {self.columns(fields)} FROM {self.name} "
            f"WHERE token({key}) {comparison} token(?) LIMIT ?"
        )

    def exists(self) -> str:
        key = identifier(KEY_COLUMN, "key")
        return f"SELECT {key} FROM {self.name} WHERE {key} = ?"

    def count(self) -> str:
        return f"SELECT count(*) FROM {self.name}"


@dataclass(frozen=True)
class CqlTarget:
    """Where and as whom to connect, from a `cassandra://[user:password@]host[:port]` URL.

    A path in the URL is ignored: the keyspace is a setting (recorded), not part of the
    address.
    """

    host: str
    port: int
    user: str | None
    password: str | None


def parse_url(url: str) -> CqlTarget:
    """The parts of a CQL URL. Raises ValueError without quoting the URL (it holds a password)."""
    parts = urlsplit(url)
    if parts.scheme != "cassandra" or not parts.hostname:
        raise ValueError("expected cassandra://[user:password@]host[:port]")
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError:
        raise ValueError("the port of the cassandra:// URL is not a number") from None
    return CqlTarget(
        host=parts.hostname,
        port=port,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def auth_provider(target: CqlTarget) -> Any:
    """Password authentication for the URL's user, or None when it names none."""
    if target.user is None:
        return None
    from cassandra.auth import PlainTextAuthProvider

    return PlainTextAuthProvider(target.user, target.password or "")


def row_to_record(fields: Sequence[str], row: Sequence[str | None]) -> Record:
    """A result row (values in `fields` order) as a record of the fields that hold a value."""
    return {f: v for f, v in zip(fields, row, strict=True) if v is not None}
