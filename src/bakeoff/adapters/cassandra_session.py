"""What the Cassandra adapter and data model do on a driver session besides their
operations: opening it, translating driver errors, creating or checking the keyspace and
tables, preparing statements."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

from bakeoff.adapters.cassandra_cql import (
    KEY_COLUMN,
    CassandraSettings,
    TableCql,
    auth_provider,
    identifier,
    parse_url,
    replication_cql,
)
from bakeoff.adapters.cassandra_endpoints import published_endpoint_factory
from bakeoff.adapters.errors import AdapterError, FatalError, TransientError, missing_driver
from bakeoff.core.endpoint import Endpoint

SCHEMA_TIMEOUT_S = 60.0


class _ProtocolNegotiation(logging.Filter):
    """Drops the driver's warnings about stepping down to the server's protocol version.

    The driver offers its newest protocol versions first and logs every step down as a
    warning, two per connection with Cassandra 5: the expected handshake, not a problem,
    and a run of many connections printed dozens of them.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Downgrading core protocol version")


logging.getLogger("cassandra.cluster").addFilter(_ProtocolNegotiation())
REQUEST_TIMEOUT_S = 12.0
"""Above the server's own read (5 s) and write (2 s) timeouts, so those reach the harness
as what they are (ReadTimeout, WriteTimeout) rather than a client-side timeout."""


@dataclass(frozen=True)
class CqlConnection:
    """An open driver session with the settings it was opened with."""

    cluster: Any
    session: Any
    settings: CassandraSettings
    levels: tuple[Any, Any]
    """Consistency levels of reads and writes."""


def open_connection(endpoint: Endpoint, options: Mapping[str, str]) -> CqlConnection:
    """A session on `endpoint`: token-aware, no driver retries (the harness counts every
    failure), rows as tuples, no protocol compression. Raises FatalError when it cannot."""
    try:
        # lazily: importing the adapter must not need the driver
        from cassandra import ConsistencyLevel
        from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
        from cassandra.policies import (
            DCAwareRoundRobinPolicy,
            FallthroughRetryPolicy,
            TokenAwarePolicy,
        )
        from cassandra.query import tuple_factory
    except ModuleNotFoundError as exc:
        raise missing_driver(endpoint.engine, exc, "cassandra") from exc
    try:
        target = parse_url(endpoint.url)
    except ValueError as exc:
        # Only the redacted form is quoted: the URL carries the password.
        raise FatalError(f"{exc}, got {endpoint.display_url}") from None
    settings = CassandraSettings.resolve(options, endpoint.settings)
    profile = ExecutionProfile(
        load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy()),
        retry_policy=FallthroughRetryPolicy(),
        request_timeout=REQUEST_TIMEOUT_S,
        row_factory=tuple_factory,
    )
    cluster = Cluster(
        [target.host],
        port=target.port,
        auth_provider=auth_provider(target),
        execution_profiles={EXEC_PROFILE_DEFAULT: profile},
        compression=False,
        connect_timeout=10.0,
        endpoint_factory=published_endpoint_factory(endpoint.provenance),
    )
    try:
        session = cluster.connect()
    except Exception as exc:
        cluster.shutdown()
        raise FatalError(
            f"cannot connect to {endpoint.engine} at {endpoint.display_url}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    levels = (
        ConsistencyLevel.name_to_value[settings.consistency_read],
        ConsistencyLevel.name_to_value[settings.consistency_write],
    )
    return CqlConnection(cluster, session, settings, levels)


def keyspace_replication(session: Any, keyspace: str) -> dict[str, str] | None:
    row = session.execute(
        "SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = %s",
        (keyspace,),
    ).one()
    return None if row is None else dict(row[0])


def ensure_keyspace(session: Any, settings: CassandraSettings) -> None:
    """Create the keyspace when missing; an existing one must have the replication asked for."""
    row = session.execute("SELECT data_center FROM system.local").one()
    wanted = settings.replication(str(row[0]) if row else "datacenter1")
    existing = keyspace_replication(session, settings.keyspace)
    if existing is None:
        session.execute(
            f"CREATE KEYSPACE IF NOT EXISTS {identifier(settings.keyspace, 'keyspace')} "
            f"WITH replication = {replication_cql(wanted)}",
            timeout=SCHEMA_TIMEOUT_S,
        )
        # Another connection may have won the race with other settings.
        existing = keyspace_replication(session, settings.keyspace)
    if existing != wanted:
        raise FatalError(
            f"keyspace {settings.keyspace!r} exists with replication {existing}, but this "
            f"run asks for {wanted}: drop it, or choose another keyspace knob"
        )


def ensure_table(session: Any, cql: TableCql) -> None:
    """Create the table when missing; an existing one must have every column."""
    # Checked first: when every connection sets up the same table, only the first one
    # (the runner's control connection) changes the schema.
    rows = session.execute(
        "SELECT column_name FROM system_schema.columns "
        "WHERE keyspace_name = %s AND table_name = %s",
        (cql.keyspace, cql.table),
    )
    columns = {row[0] for row in rows}
    if not columns:
        session.execute(cql.create(), timeout=SCHEMA_TIMEOUT_S)
        return
    missing = {KEY_COLUMN, *cql.fields} - columns
    if missing:
        raise FatalError(
            f"table {cql.keyspace}.{cql.table} exists without column(s) "
            f"{', '.join(sorted(missing))}: drop it (teardown) or use another table"
        )


def raise_translated(exc: Exception) -> NoReturn:
    """Raise `exc` (a cassandra-driver error) as the adapter error of its kind."""
    if isinstance(exc, AdapterError):
        raise exc
    from cassandra import OperationTimedOut, RequestExecutionException
    from cassandra.protocol import IsBootstrappingErrorMessage

    # RequestExecutionException covers Unavailable, Read/WriteTimeout, Read/WriteFailure
    # and Overloaded: the node answered, and later requests may succeed.
    transient = (RequestExecutionException, OperationTimedOut, IsBootstrappingErrorMessage)
    kind: type[AdapterError] = TransientError if isinstance(exc, transient) else FatalError
    raise kind(f"{type(exc).__name__}: {exc}") from exc


@dataclass
class TableStatements:
    """A table's prepared statements, on one connection.

    YCSB reads and updates either every field or one: those are prepared up front, so no
    timed call pays for a prepare round trip; other field subsets on first use.
    """

    session: Any
    cql: TableCql
    levels: tuple[Any, Any]
    """Consistency levels of reads and writes."""
    insert_all: Any = None
    delete: Any = None
    exists: Any = None
    reads: dict[tuple[str, ...], Any] = field(default_factory=dict)
    updates: dict[tuple[str, ...], Any] = field(default_factory=dict)
    inserts: dict[tuple[str, ...], Any] = field(default_factory=dict)
    scans: dict[tuple[tuple[str, ...], bool], Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        cql = self.cql
        self.insert_all = self._prepared(cql.insert(cql.fields), self.levels[1])
        self.delete = self._prepared(cql.delete(), self.levels[1])
        self.exists = self._prepared(cql.exists(), self.levels[0])
        for names in [cql.fields, *((f,) for f in cql.fields)]:
            self.prepare_read(names)
            self.prepare_update(names)
        for wrapped in (False, True):
            self.prepare_scan(cql.fields, wrapped=wrapped)

    def prepare_read(self, names: tuple[str, ...]) -> Any:
        statement = self.reads[names] = self._prepared(self.cql.read(names), self.levels[0])
        return statement

    def prepare_update(self, names: tuple[str, ...]) -> Any:
        statement = self.updates[names] = self._prepared(self.cql.update(names), self.levels[1])
        return statement

    def prepare_insert(self, names: tuple[str, ...]) -> Any:
        statement = self.inserts[names] = self._prepared(self.cql.insert(names), self.levels[1])
        return statement

    def prepare_scan(self, names: tuple[str, ...], *, wrapped: bool) -> Any:
        statement = self.scans[(names, wrapped)] = self._prepared(
            self.cql.scan(names, wrapped=wrapped), self.levels[0]
        )
        return statement

    def _prepared(self, query: str, level: Any) -> Any:
        """A prepared statement, with driver errors (and bad field names) translated."""
        try:
            statement = self.session.prepare(query)
        except Exception as exc:
            raise_translated(exc)
        statement.consistency_level = level
        return statement
