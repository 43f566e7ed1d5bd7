"""The Cassandra adapter: a YCSB table over CQL with cassandra-driver.

Data model
    ``<keyspace>.<table>`` with ``y_id text PRIMARY KEY`` and one ``text`` column per field
    (``field0``, ``field1``, ...), as YCSB's own Cassandra binding lays it out. Each record
    is one partition. Identifiers are validated (letters, digits, ``_``; at most 48, the
    limit Cassandra puts on keyspace and table names) and always double-quoted, so their
    case is kept. Writes are upserts, as everywhere in Cassandra: a second insert of a key
    overwrites it, and an update of an absent key creates a partial record (YCSB's binding
    behaves the same). A read returns the fields that hold a value.

Scans follow token order, not key order
    A table partitioned by ``y_id`` is stored in the order of the keys' Murmur3 tokens, and
    CQL can only range over partition keys by token. ``scan`` therefore reads
    ``WHERE token(y_id) >= token(start) LIMIT n`` and, when the ring ends before ``n``
    records, continues from the lowest token (``token(y_id) < token(start)``): ``n``
    consecutive records in token order starting at the start key's position, the same
    number of rows an ordered scan would return away from the end of the key space, but
    not the keys that follow the start key. The adapter declares SCAN and not
    ORDERED_SCAN, so a workload that needs key order (ycsb-e) is refused before anything
    starts, with a message naming workload, adapter and engine. An ordered variant would
    need another table layout (keys as clustering columns of a few bucket partitions),
    which changes what is measured; it is left out on purpose.

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

Statements
    Prepared in ``setup`` (every connection calls it before use): insert and read of all
    fields, read and update of every single field and of all fields, delete, and the two
    scan halves. Other field subsets are prepared on first use and cached. Consistency
    levels are set on the prepared statements. Rows come back as tuples
    (``tuple_factory``), and the driver never retries (``FallthroughRetryPolicy``): the
    harness counts every failure. Protocol compression is off: on loopback it costs CPU
    and saves nothing.

Batch insert and counting
    ``insert_batch`` runs one prepared insert per row, up to 100 in flight on the
    connection (``execute_concurrent``). Measured on the 2-core machine shared with the
    node (5,000 records of 10 x 100 bytes, median of 3 rounds, a busy machine): one at a
    time 1,800 rows/s; 8 in flight 1,700; 32 in flight 2,400; 100 in flight 4,300;
    UNLOGGED batches of 4 rows (the most that stays under the 5 KiB batch warning), 8
    batches in flight, 1,100. Multi-partition batches make the coordinator do the
    fan-out, and Cassandra refuses any batch above 50 KiB (``batch_size_fail_threshold``),
    which a load chunk of 500 YCSB records would exceed 10 times over.

    ``count_records`` is ``SELECT count(*)``: a full scan, fine for benchmark-sized
    tables (the verify phase uses it, untimed), with a long timeout; very large tables
    would need nodetool's estimates instead.

Errors
    Server-side timeouts, unavailable replicas, replica failures, overload and
    client-side timeouts are transient (the node is there and answers later). No host
    reachable, a dropped connection, authentication failures and rejected requests are
    fatal.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, NoReturn
from urllib.parse import unquote, urlsplit

from bakeoff.adapters.errors import (
    AdapterError,
    FatalError,
    TransientError,
    UnsupportedError,
)
from bakeoff.adapters.protocol import Capability, Endpoint, Record, TableSpec

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
LOAD_CONCURRENCY = 100
"""Inserts in flight per `insert_batch` call (the driver's own default for
execute_concurrent); the fastest of 8, 32 and 100 measured here (see the module docs)."""
REQUEST_TIMEOUT_S = 12.0
"""Above the server's own read (5 s) and write (2 s) timeouts, so those reach the harness
as what they are (ReadTimeout, WriteTimeout) rather than a client-side timeout."""
SCHEMA_TIMEOUT_S = 60.0
COUNT_TIMEOUT_S = 120.0
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,47}\Z")
_STRATEGY_PACKAGE = "org.apache.cassandra.locator."

logging.getLogger("cassandra").addHandler(logging.NullHandler())


# -- settings and CQL text (pure, unit-tested) ----------------------------------------


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


# -- the adapter ----------------------------------------------------------------------


@dataclass
class _Table:
    """A table's prepared statements, on one connection."""

    cql: TableCql
    insert_all: Any
    delete: Any
    reads: dict[tuple[str, ...], Any] = field(default_factory=dict)
    updates: dict[tuple[str, ...], Any] = field(default_factory=dict)
    inserts: dict[tuple[str, ...], Any] = field(default_factory=dict)
    scans: dict[tuple[tuple[str, ...], bool], Any] = field(default_factory=dict)


class CassandraAdapter:
    """YCSB table on Cassandra over CQL: one partition per record, token-order scans."""

    name: ClassVar[str] = "cassandra"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.SCAN, Capability.BATCH_INSERT, Capability.DELETE, Capability.COUNT}
    )
    capability_notes: ClassVar[Mapping[Capability, str]] = {
        Capability.ORDERED_SCAN: (
            "Cassandra scans follow token order, not key order: CQL ranges over "
            "partition keys by their hash; see bakeoff.adapters.cassandra"
        )
    }

    def __init__(self) -> None:
        self._cluster: Any = None
        self._session: Any = None
        self._settings: CassandraSettings | None = None
        self._levels: tuple[Any, Any] = (None, None)
        self._tables: dict[str, _Table] = {}

    # -- lifecycle -------------------------------------------------------------------

    def connect(self, endpoint: Endpoint, options: Mapping[str, str]) -> None:
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
            raise FatalError(
                f"the driver for {endpoint.engine} is not installed ({exc.name}); "
                "install bakeoff with the 'cassandra' extra"
            ) from exc
        try:
            target = parse_url(endpoint.url)
        except ValueError as exc:
            # Only the redacted form is quoted: the URL carries the password.
            raise FatalError(f"{exc}, got {endpoint.display_url}") from None
        settings = CassandraSettings.resolve(options, endpoint.settings)
        auth = auth_provider(target)
        profile = ExecutionProfile(
            load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy()),
            retry_policy=FallthroughRetryPolicy(),
            request_timeout=REQUEST_TIMEOUT_S,
            row_factory=tuple_factory,
        )
        cluster = Cluster(
            [target.host],
            port=target.port,
            auth_provider=auth,
            execution_profiles={EXEC_PROFILE_DEFAULT: profile},
            compression=False,
            connect_timeout=10.0,
        )
        try:
            session = cluster.connect()
        except Exception as exc:
            cluster.shutdown()
            raise FatalError(
                f"cannot connect to {endpoint.engine} at {endpoint.display_url}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        self.close()
        self._cluster, self._session, self._settings = cluster, session, settings
        self._levels = (
            ConsistencyLevel.name_to_value[settings.consistency_read],
            ConsistencyLevel.name_to_value[settings.consistency_write],
        )

    def setup(self, table: TableSpec) -> None:
        settings = self._require_settings()
        cql = TableCql(settings.keyspace, table.name, tuple(table.field_names))
        if KEY_COLUMN in cql.fields:
            raise UnsupportedError(f"field name {KEY_COLUMN!r} is the key column's")
        for name in cql.fields:
            identifier(name, "field")
        cql.create()  # validates the table name before anything is sent
        try:
            self._ensure_keyspace(settings)
            self._ensure_table(cql)
            self._tables[table.name] = self._prepare_table(cql)
        except AdapterError:
            raise
        except Exception as exc:
            _raise_translated(exc)

    def teardown(self, table: TableSpec) -> None:
        settings = self._require_settings()
        cql = TableCql(settings.keyspace, table.name, tuple(table.field_names))
        self._tables.pop(table.name, None)
        try:
            if self._keyspace_replication(settings.keyspace) is not None:
                self._session.execute(cql.drop(), timeout=SCHEMA_TIMEOUT_S)
        except Exception as exc:
            _raise_translated(exc)

    def close(self) -> None:
        cluster, self._cluster, self._session = self._cluster, None, None
        self._tables.clear()
        if cluster is not None:
            cluster.shutdown()

    # -- operations ------------------------------------------------------------------

    def read(self, table: str, key: str, fields: Sequence[str] | None) -> Record | None:
        state = self._table(table)
        names = tuple(fields) if fields else state.cql.fields
        statement = state.reads.get(names) or self._prepare_read(state, names)
        try:
            row = self._session.execute(statement, (key,)).one()
        except Exception as exc:
            _raise_translated(exc)
        return None if row is None else row_to_record(names, row)

    def insert(self, table: str, key: str, values: Mapping[str, str]) -> None:
        state = self._table(table)
        names = tuple(values)
        statement = (
            state.insert_all
            if names == state.cql.fields
            else state.inserts.get(names) or self._prepare_insert(state, names)
        )
        try:
            self._session.execute(statement, (key, *values.values()))
        except Exception as exc:
            _raise_translated(exc)

    def insert_batch(self, table: str, rows: Sequence[tuple[str, Mapping[str, str]]]) -> None:
        from cassandra.concurrent import execute_concurrent

        state = self._table(table)
        work = []
        for key, values in rows:
            names = tuple(values)
            statement = (
                state.insert_all
                if names == state.cql.fields
                else state.inserts.get(names) or self._prepare_insert(state, names)
            )
            work.append((statement, (key, *values.values())))
        try:
            execute_concurrent(
                self._session, work, concurrency=LOAD_CONCURRENCY, raise_on_first_error=True
            )
        except Exception as exc:
            _raise_translated(exc)

    def update(self, table: str, key: str, values: Mapping[str, str]) -> None:
        if not values:
            return
        state = self._table(table)
        names = tuple(values)
        statement = state.updates.get(names) or self._prepare_update(state, names)
        try:
            self._session.execute(statement, (*values.values(), key))
        except Exception as exc:
            _raise_translated(exc)

    def delete(self, table: str, key: str) -> None:
        state = self._table(table)
        try:
            self._session.execute(state.delete, (key,))
        except Exception as exc:
            _raise_translated(exc)

    def scan(
        self, table: str, start_key: str, count: int, fields: Sequence[str] | None
    ) -> list[tuple[str, Record]]:
        if count <= 0:
            return []
        state = self._table(table)
        names = tuple(fields) if fields else state.cql.fields
        rows: list[tuple[str, Record]] = []
        try:
            for wrapped in (False, True):
                statement = state.scans.get((names, wrapped)) or self._prepare_scan(
                    state, names, wrapped=wrapped
                )
                # Iterating fetches any further pages inside this call: nothing lazy
                # is left for after the timed call returns.
                for row in self._session.execute(statement, (start_key, count - len(rows))):
                    rows.append((row[0], row_to_record(names, row[1:])))
                if len(rows) >= count:
                    break
        except Exception as exc:
            _raise_translated(exc)
        return rows

    def count_records(self, table: str) -> int:
        state = self._table(table)
        try:
            row = self._session.execute(
                self._simple(state.cql.count(), self._levels[0]), timeout=COUNT_TIMEOUT_S
            ).one()
        except Exception as exc:
            _raise_translated(exc)
        return int(row[0])

    # -- schema and statements ---------------------------------------------------------

    def _require_settings(self) -> CassandraSettings:
        if self._session is None or self._settings is None:
            raise FatalError("the Cassandra adapter is not connected")
        return self._settings

    def _table(self, table: str) -> _Table:
        state = self._tables.get(table)
        if state is None:
            if self._session is None:
                raise FatalError("the Cassandra adapter is not connected")
            raise FatalError(f"table {table!r} was not set up on this connection")
        return state

    def _simple(self, query: str, level: Any) -> Any:
        from cassandra.query import SimpleStatement

        return SimpleStatement(query, consistency_level=level)

    def _keyspace_replication(self, keyspace: str) -> dict[str, str] | None:
        row = self._session.execute(
            "SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = %s",
            (keyspace,),
        ).one()
        return None if row is None else dict(row[0])

    def _ensure_keyspace(self, settings: CassandraSettings) -> None:
        row = self._session.execute("SELECT data_center FROM system.local").one()
        wanted = settings.replication(str(row[0]) if row else "datacenter1")
        existing = self._keyspace_replication(settings.keyspace)
        if existing is None:
            self._session.execute(
                f"CREATE KEYSPACE IF NOT EXISTS {identifier(settings.keyspace, 'keyspace')} "
                f"WITH replication = {replication_cql(wanted)}",
                timeout=SCHEMA_TIMEOUT_S,
            )
            # Another connection may have won the race with other settings.
            existing = self._keyspace_replication(settings.keyspace)
        if existing != wanted:
            raise FatalError(
                f"keyspace {settings.keyspace!r} exists with replication {existing}, but this "
                f"run asks for {wanted}: drop it, or choose another keyspace knob"
            )

    def _ensure_table(self, cql: TableCql) -> None:
        # Checked first: when every worker sets up the same table, only the first one
        # (the runner's control connection) changes the schema.
        rows = self._session.execute(
            "SELECT column_name FROM system_schema.columns "
            "WHERE keyspace_name = %s AND table_name = %s",
            (cql.keyspace, cql.table),
        )
        columns = {row[0] for row in rows}
        if not columns:
            self._session.execute(cql.create(), timeout=SCHEMA_TIMEOUT_S)
            return
        missing = {KEY_COLUMN, *cql.fields} - columns
        if missing:
            raise FatalError(
                f"table {cql.keyspace}.{cql.table} exists without column(s) "
                f"{', '.join(sorted(missing))}: drop it (teardown) or use another table"
            )

    def _prepare(self, query: str, level: Any) -> Any:
        statement = self._session.prepare(query)
        statement.consistency_level = level
        return statement

    def _prepare_table(self, cql: TableCql) -> _Table:
        write_level = self._levels[1]
        state = _Table(
            cql=cql,
            insert_all=self._prepare(cql.insert(cql.fields), write_level),
            delete=self._prepare(cql.delete(), write_level),
        )
        # YCSB reads and updates either every field or one: prepare those up front so no
        # timed call pays for a prepare round trip.
        for names in [cql.fields, *((f,) for f in cql.fields)]:
            self._prepare_read(state, names)
            self._prepare_update(state, names)
        for wrapped in (False, True):
            self._prepare_scan(state, cql.fields, wrapped=wrapped)
        return state

    def _prepare_read(self, state: _Table, names: tuple[str, ...]) -> Any:
        statement = state.reads[names] = self._prepared(state.cql.read(names), self._levels[0])
        return statement

    def _prepare_update(self, state: _Table, names: tuple[str, ...]) -> Any:
        statement = state.updates[names] = self._prepared(state.cql.update(names), self._levels[1])
        return statement

    def _prepare_insert(self, state: _Table, names: tuple[str, ...]) -> Any:
        statement = state.inserts[names] = self._prepared(state.cql.insert(names), self._levels[1])
        return statement

    def _prepare_scan(self, state: _Table, names: tuple[str, ...], *, wrapped: bool) -> Any:
        statement = state.scans[(names, wrapped)] = self._prepared(
            state.cql.scan(names, wrapped=wrapped), self._levels[0]
        )
        return statement

    def _prepared(self, query: str, level: Any) -> Any:
        """A prepared statement, with driver errors (and bad field names) translated."""
        try:
            return self._prepare(query, level)
        except Exception as exc:
            _raise_translated(exc)


def _raise_translated(exc: Exception) -> NoReturn:
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
