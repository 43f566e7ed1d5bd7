"""The engine catalog: every engine bakeoff knows, how it is provided and which adapter
speaks to it. Provisioners are built from these entries; nothing here starts anything.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum


class Family(StrEnum):
    RELATIONAL = "relational"
    DOCUMENT = "document"
    KEY_VALUE = "key-value"
    WIDE_COLUMN = "wide-column"


class Provision(StrEnum):
    EMBEDDED = "embedded"
    CONTAINER = "container"


class ServerKind(StrEnum):
    """The protocol family of a server engine.

    It decides everything a provisioner does that depends on the server rather than the
    image: the readiness round trip, how knobs go on the server command line, the
    endpoint URL, and how the version and settings are read back.
    """

    POSTGRES = "postgres"
    """`-c name=value`; readiness `SELECT 1`; settings via current_setting()."""
    MYSQL = "mysql"
    """`--name=value`; readiness `SELECT 1`; settings via @@GLOBAL.name."""
    REDIS = "redis"
    """`--name value`; readiness PING; settings via CONFIG GET."""
    CQL = "cql"
    """Knobs as environment (MAX_HEAP_SIZE, JVM_EXTRA_OPTS); readiness and settings
    through cassandra-driver (system.local, system_views.settings). See engines/cql.py."""
    MONGO = "mongo"
    """MongoDB wire protocol (MongoDB, FerretDB): `--name=value`; readiness `ping`;
    version via buildInfo, settings via getParameter. See engines/mongo_wire.py."""


@dataclass(frozen=True)
class EngineSpec:
    name: str
    display_name: str
    family: Family
    adapter: str
    """Entry-point name in the ``bakeoff.adapters`` group."""
    provision: Provision
    driver_modules: tuple[str, ...]
    """Python modules the adapter needs for this engine (checked by `bakeoff engines`)."""
    extra: str
    """The pip extra that installs those modules."""
    url_scheme: str
    """SQLAlchemy dialect+driver (``sqlite+pysqlite``) or a URL scheme (``redis``)."""
    # Container engines only:
    image: str | None = None
    """Default image (official, pinned); see `resolve_image` for the override order."""
    port: int | None = None
    """The server's port inside the container."""
    knobs: Mapping[str, str] = field(default_factory=dict)
    """Default engine settings, overridable per run."""
    tested_here: bool = True
    notes: str = ""
    # Server engines (container or external) only:
    server: ServerKind | None = None
    password_env: tuple[str, ...] = ()
    """Container env vars that receive the generated password. Several, because the
    official image and the project's own image do not always read the same name."""
    container_env: Mapping[str, str] = field(default_factory=dict)
    """Fixed container env: user and database names for the official images' init scripts."""
    reported_settings: tuple[str, ...] = ()
    """Settings read back from the server and recorded with every result, besides knobs."""
    ready_timeout_s: float = 60.0
    """How long a fresh container may take to answer its first round trip."""
    client_knobs: Mapping[str, str] = field(default_factory=dict)
    """Defaults of settings the adapter applies on its side (consistency levels,
    replication). Knobs like the others, overridable per run and recorded with every
    result, but they never reach the server's command line or environment."""


_MONGO_CLIENT_KNOBS = {"w": "1", "journal": "false", "readPreference": "primary"}
"""Write concern and read preference, applied by the adapter (pymongo option names)."""

CATALOG: dict[str, EngineSpec] = {
    spec.name: spec
    for spec in (
        EngineSpec(
            name="sqlite",
            display_name="SQLite",
            family=Family.RELATIONAL,
            adapter="sql",
            provision=Provision.EMBEDDED,
            driver_modules=("sqlite3",),
            extra="(core)",
            url_scheme="sqlite+pysqlite",
            knobs={"journal_mode": "wal", "synchronous": "normal"},
        ),
        EngineSpec(
            name="duckdb",
            display_name="DuckDB",
            family=Family.RELATIONAL,
            adapter="sql",
            provision=Provision.EMBEDDED,
            driver_modules=("duckdb", "duckdb_engine"),
            extra="duckdb",
            url_scheme="duckdb",
        ),
        EngineSpec(
            name="postgres",
            display_name="PostgreSQL",
            family=Family.RELATIONAL,
            adapter="postgres",
            provision=Provision.CONTAINER,
            driver_modules=("psycopg",),
            extra="postgres",
            url_scheme="postgresql+psycopg",
            image="postgres:15.13-bookworm",
            port=5432,
            server=ServerKind.POSTGRES,
            password_env=("POSTGRES_PASSWORD",),
            container_env={"POSTGRES_USER": "bakeoff", "POSTGRES_DB": "bakeoff"},
            reported_settings=(
                "synchronous_commit",
                "fsync",
                "shared_buffers",
                "max_connections",
            ),
            notes="Tested here with the project's image of Debian's postgresql-15.",
        ),
        EngineSpec(
            name="mariadb",
            display_name="MariaDB",
            family=Family.RELATIONAL,
            adapter="sql",
            provision=Provision.CONTAINER,
            driver_modules=("pymysql",),
            extra="mysql",
            url_scheme="mysql+pymysql",
            image="mariadb:10.11.11",
            port=3306,
            server=ServerKind.MYSQL,
            password_env=("MARIADB_PASSWORD",),
            container_env={
                "MARIADB_USER": "bakeoff",
                "MARIADB_DATABASE": "bakeoff",
                "MARIADB_RANDOM_ROOT_PASSWORD": "1",
            },
            reported_settings=(
                "innodb_flush_log_at_trx_commit",
                "sync_binlog",
                "innodb_buffer_pool_size",
                "max_connections",
            ),
            notes="Tested here with the project's image of Debian's mariadb-server 10.11.",
        ),
        EngineSpec(
            name="mysql",
            display_name="MySQL",
            family=Family.RELATIONAL,
            adapter="sql",
            provision=Provision.CONTAINER,
            driver_modules=("pymysql",),
            extra="mysql",
            url_scheme="mysql+pymysql",
            image="mysql:8.4.6",
            port=3306,
            server=ServerKind.MYSQL,
            password_env=("MYSQL_PASSWORD",),
            container_env={
                "MYSQL_USER": "bakeoff",
                "MYSQL_DATABASE": "bakeoff",
                "MYSQL_RANDOM_ROOT_PASSWORD": "yes",
            },
            reported_settings=(
                "innodb_flush_log_at_trx_commit",
                "sync_binlog",
                "innodb_buffer_pool_size",
                "max_connections",
            ),
            ready_timeout_s=120.0,
            tested_here=False,
            notes=(
                "Not tested here: no registry is reachable and Debian packages no MySQL "
                "server, so there is no local image (MariaDB is a different engine, never "
                "a stand-in). MySQL 8.4's default caching_sha2_password auth needs PyMySQL's "
                "optional 'cryptography' dependency over a plain connection."
            ),
        ),
        EngineSpec(
            name="redis",
            display_name="Redis",
            family=Family.KEY_VALUE,
            adapter="redis",
            provision=Provision.CONTAINER,
            driver_modules=("redis",),
            extra="redis",
            url_scheme="redis",
            image="redis:7.0.15-bookworm",
            port=6379,
            # Persistence off by default: a workload that wants durability sets these.
            knobs={"save": "", "appendonly": "no"},
            server=ServerKind.REDIS,
            password_env=("REDIS_PASSWORD",),
            reported_settings=("appendonly", "save", "maxmemory", "io-threads"),
            notes="Tested here with the project's image of Debian's redis-server 7.0.",
        ),
        EngineSpec(
            name="cassandra",
            display_name="Cassandra",
            family=Family.WIDE_COLUMN,
            adapter="cassandra",
            provision=Provision.CONTAINER,
            driver_modules=("cassandra",),
            extra="cassandra",
            url_scheme="cassandra",
            image="cassandra:5.0.9",
            port=9042,
            # A fixed heap, so results do not depend on the host's RAM (the official
            # image sizes the heap from it); 1g suits a 2-core machine shared with the client.
            knobs={"heap": "1g"},
            server=ServerKind.CQL,
            password_env=("CASSANDRA_PASSWORD",),
            container_env={"CASSANDRA_USER": "bakeoff"},
            reported_settings=(
                "commitlog_sync",
                "commitlog_sync_period",
                "concurrent_reads",
                "concurrent_writes",
                "memtable_allocation_type",
                "storage_compatibility_mode",
                "authenticator",
            ),
            client_knobs={
                "keyspace": "bakeoff",
                "replication_strategy": "SimpleStrategy",
                "replication_factor": "1",
                "consistency_read": "ONE",
                "consistency_write": "ONE",
            },
            ready_timeout_s=120.0,
            notes=(
                "Tested here with the project's image of Cassandra 5.0.9 from Maven Central's "
                "jars on Debian's OpenJDK 17 (docker/cassandra). The official image has no "
                "authentication (the password is then unused) and does not report its heap."
            ),
        ),
        EngineSpec(
            name="ferretdb",
            display_name="FerretDB",
            family=Family.DOCUMENT,
            adapter="mongo",
            provision=Provision.CONTAINER,
            driver_modules=("pymongo",),
            extra="mongo",
            url_scheme="mongodb",
            image="ghcr.io/ferretdb/ferretdb:1.24.2",
            port=27017,
            server=ServerKind.MONGO,
            # What the official image needs to run on SQLite; the project's image reads
            # the same variables (and defaults to them).
            container_env={
                "FERRETDB_HANDLER": "sqlite",
                "FERRETDB_SQLITE_URL": "file:/state/",
                "FERRETDB_LISTEN_ADDR": ":27017",
                "FERRETDB_TELEMETRY": "disable",
            },
            client_knobs=_MONGO_CLIENT_KNOBS,
            notes=(
                "Tested here with the project's image (docker/ferretdb): FerretDB v1.24.2 "
                "through its embeddable Go package, SQLite backend, built locally; the "
                "official image is the default elsewhere but untested here. No "
                "authentication (the SQLite backend has none), so the port is published "
                "on 127.0.0.1 only. FerretDB ignores write concern and read preference: "
                "they are recorded as the client asked, and durability is SQLite's (WAL, "
                "synchronous=FULL). Only equality on _id reaches SQLite, where it misses "
                "the _id index: operations by key cost time in proportion to the "
                "collection's size, and a scan reads all of it (docs/engines.md)."
            ),
        ),
        EngineSpec(
            name="mongodb",
            display_name="MongoDB",
            family=Family.DOCUMENT,
            adapter="mongo",
            provision=Provision.CONTAINER,
            driver_modules=("pymongo",),
            extra="mongo",
            url_scheme="mongodb",
            image="mongo:7.0.26",
            port=27017,
            server=ServerKind.MONGO,
            password_env=("MONGO_INITDB_ROOT_PASSWORD",),
            container_env={"MONGO_INITDB_ROOT_USERNAME": "bakeoff"},
            client_knobs=_MONGO_CLIENT_KNOBS,
            ready_timeout_s=120.0,
            tested_here=False,
            notes=(
                "No MongoDB server is reachable on these machines (no registry, and no "
                "Debian package); FerretDB speaks the wire protocol but is an engine of "
                "its own, never a stand-in. The official image creates "
                "the root user 'bakeoff' (authSource=admin) and restarts mongod once "
                "before it accepts connections."
            ),
        ),
    )
}


class UnknownEngineError(LookupError):
    pass


def engine_spec(name: str) -> EngineSpec:
    try:
        return CATALOG[name]
    except KeyError:
        known = ", ".join(sorted(CATALOG))
        raise UnknownEngineError(f"unknown engine {name!r} (known engines: {known})") from None


GENERIC_SQL_ADAPTER = "sql"


def same_sql_dialect(spec: EngineSpec, scheme: str) -> bool:
    """Does a URL scheme name the engine's SQLAlchemy dialect (any driver of it)?"""
    return "+" in spec.url_scheme and scheme.partition("+")[0] == spec.url_scheme.partition("+")[0]


def spec_for_url(spec: EngineSpec, url: str | None) -> EngineSpec:
    """The engine as a `--url` reaches it.

    A URL naming another driver of the engine's SQL dialect (``postgresql+pg8000`` for
    ``postgresql+psycopg``) gets the generic SQL adapter: an engine's own adapter may
    use its catalog driver's API beyond PEP 249 (the postgres adapter uses libpq through
    psycopg).
    """
    if url is None or spec.adapter == GENERIC_SQL_ADAPTER:
        return spec
    scheme = url.partition("://")[0]
    if scheme == spec.url_scheme or "+" not in scheme or not same_sql_dialect(spec, scheme):
        return spec
    return replace(spec, adapter=GENERIC_SQL_ADAPTER)


def missing_drivers(spec: EngineSpec) -> list[str]:
    return [m for m in spec.driver_modules if importlib.util.find_spec(m) is None]


IMAGE_ENV_PREFIX = "BAKEOFF_IMAGE_"


def image_env_var(engine: str) -> str:
    """`BAKEOFF_IMAGE_POSTGRES` for `postgres`; dashes become underscores."""
    return IMAGE_ENV_PREFIX + engine.upper().replace("-", "_")


class NoImageError(LookupError):
    pass


def resolve_image(spec: EngineSpec, override: str | None = None) -> str:
    """The container image to run for `spec`.

    Order: `override` (a run spec or CLI flag) > env `BAKEOFF_IMAGE_<ENGINE>` > the
    catalog's pinned official image. Where no registry is reachable (this project's
    machines and its CI), CI builds local images with `bakeoff images build` and sets
    BAKEOFF_IMAGE_* to them (`bakeoff images env` prints the exports), so the official
    defaults are only ever pulled by users who can reach a registry.
    """
    if override:
        return override
    from_env = os.environ.get(image_env_var(spec.name), "").strip()
    if from_env:
        return from_env
    if spec.image:
        return spec.image
    raise NoImageError(f"engine {spec.name!r} has no container image ({spec.provision} engine)")
