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
    See `bakeoff.adapters.cassandra_cql`.

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
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from bakeoff.adapters.cassandra_cql import (
    KEY_COLUMN,
    CassandraSettings,
    TableCql,
    identifier,
    row_to_record,
)
from bakeoff.adapters.cassandra_explain import trace_lines, trace_plan, untraced_write
from bakeoff.adapters.cassandra_session import (
    SCHEMA_TIMEOUT_S,
    TableStatements,
    ensure_keyspace,
    ensure_table,
    keyspace_replication,
    open_connection,
    raise_translated,
)
from bakeoff.adapters.errors import AdapterError, FatalError, UnsupportedError
from bakeoff.adapters.protocol import Capability, Endpoint, Record, TableSpec
from bakeoff.core.query_plans import QueryPlan, QueryShape

LOAD_CONCURRENCY = 100
"""Inserts in flight per `insert_batch` call (the driver's own default for
execute_concurrent); the fastest of 8, 32 and 100 measured here (see the module docs)."""
COUNT_TIMEOUT_S = 120.0

logging.getLogger("cassandra").addHandler(logging.NullHandler())


# -- the adapter ----------------------------------------------------------------------


class CassandraAdapter:
    """YCSB table on Cassandra over CQL: one partition per record, token-order scans."""

    name: ClassVar[str] = "cassandra"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.SCAN,
            Capability.BATCH_INSERT,
            Capability.DELETE,
            Capability.COUNT,
            Capability.EXISTS,
            Capability.EXPLAIN,
        }
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
        self._tables: dict[str, TableStatements] = {}

    # -- lifecycle -------------------------------------------------------------------

    def connect(self, endpoint: Endpoint, options: Mapping[str, str]) -> None:
        connection = open_connection(endpoint, options)
        self.close()
        self._cluster, self._session = connection.cluster, connection.session
        self._settings, self._levels = connection.settings, connection.levels

    def setup(self, table: TableSpec) -> None:
        settings = self._require_settings()
        cql = TableCql(settings.keyspace, table.name, tuple(table.field_names))
        if KEY_COLUMN in cql.fields:
            raise UnsupportedError(f"field name {KEY_COLUMN!r} is the key column's")
        for name in cql.fields:
            identifier(name, "field")
        cql.create()  # validates the table name before anything is sent
        try:
            ensure_keyspace(self._session, settings)
            ensure_table(self._session, cql)
            self._tables[table.name] = TableStatements(self._session, cql, self._levels)
        except AdapterError:
            raise
        except Exception as exc:
            raise_translated(exc)

    def teardown(self, table: TableSpec) -> None:
        settings = self._require_settings()
        cql = TableCql(settings.keyspace, table.name, tuple(table.field_names))
        self._tables.pop(table.name, None)
        try:
            if keyspace_replication(self._session, settings.keyspace) is not None:
                self._session.execute(cql.drop(), timeout=SCHEMA_TIMEOUT_S)
        except Exception as exc:
            raise_translated(exc)

    def close(self) -> None:
        cluster, self._cluster, self._session = self._cluster, None, None
        self._tables.clear()
        if cluster is not None:
            cluster.shutdown()

    # -- operations ------------------------------------------------------------------

    def read(self, table: str, key: str, fields: Sequence[str] | None) -> Record | None:
        state = self._table(table)
        names = tuple(fields) if fields else state.cql.fields
        statement = state.reads.get(names) or state.prepare_read(names)
        try:
            row = self._session.execute(statement, (key,)).one()
        except Exception as exc:
            raise_translated(exc)
        return None if row is None else row_to_record(names, row)

    def insert(self, table: str, key: str, values: Mapping[str, str]) -> None:
        state = self._table(table)
        names = tuple(values)
        statement = (
            state.insert_all
            if names == state.cql.fields
            else state.inserts.get(names) or state.prepare_insert(names)
        )
        try:
            self._session.execute(statement, (key, *values.values()))
        except Exception as exc:
            raise_translated(exc)

    def insert_batch(self, table: str, rows: Sequence[tuple[str, Mapping[str, str]]]) -> None:
        from cassandra.concurrent import execute_concurrent

        state = self._table(table)
        work = []
        for key, values in rows:
            names = tuple(values)
            statement = (
                state.insert_all
                if names == state.cql.fields
                else state.inserts.get(names) or state.prepare_insert(names)
            )
            work.append((statement, (key, *values.values())))
        try:
            execute_concurrent(
                self._session, work, concurrency=LOAD_CONCURRENCY, raise_on_first_error=True
            )
        except Exception as exc:
            raise_translated(exc)

    def update(self, table: str, key: str, values: Mapping[str, str]) -> None:
        if not values:
            return
        state = self._table(table)
        names = tuple(values)
        statement = state.updates.get(names) or state.prepare_update(names)
        try:
            self._session.execute(statement, (*values.values(), key))
        except Exception as exc:
            raise_translated(exc)

    def delete(self, table: str, key: str) -> None:
        state = self._table(table)
        try:
            self._session.execute(state.delete, (key,))
        except Exception as exc:
            raise_translated(exc)

    def exists(self, table: str, key: str) -> bool:
        state = self._table(table)
        try:
            row = self._session.execute(state.exists, (key,)).one()
        except Exception as exc:
            raise_translated(exc)
        return row is not None

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
                statement = state.scans.get((names, wrapped)) or state.prepare_scan(
                    names, wrapped=wrapped
                )
                # Iterating fetches any further pages inside this call: nothing lazy
                # is left for after the timed call returns.
                for row in self._session.execute(statement, (start_key, count - len(rows))):
                    rows.append((row[0], row_to_record(names, row[1:])))
                if len(rows) >= count:
                    break
        except Exception as exc:
            raise_translated(exc)
        return rows

    def count_records(self, table: str) -> int:
        state = self._table(table)
        try:
            row = self._session.execute(
                self._simple(state.cql.count(), self._levels[0]), timeout=COUNT_TIMEOUT_S
            ).one()
        except Exception as exc:
            raise_translated(exc)
        return int(row[0])

    def explain(self, table: str, shape: QueryShape) -> QueryPlan:
        """The trace of one request of a read shape (cassandra_explain.py)."""
        state = self._table(table)
        names = state.cql.fields
        if shape.writes:
            return untraced_write(shape.name, shape.name)
        if shape.name == "scan":
            statement = state.scans.get((names, False)) or state.prepare_scan(names, wrapped=False)
            params: tuple[object, ...] = (shape.key, shape.count)
        else:
            exists = shape.name == "exists"
            statement = (
                state.exists if exists else state.reads.get(names) or state.prepare_read(names)
            )
            params = (shape.key,)
        try:
            result = self._session.execute(statement, params, trace=True)
            list(result)
            events = list(result.get_query_trace(max_wait_sec=10).events)
        except Exception as exc:
            raise_translated(exc)
        lines = trace_lines(events)
        descriptions = [str(event.description) for event in events]
        return trace_plan(shape.name, statement.query_string, descriptions, "\n".join(lines))

    # -- schema and statements ---------------------------------------------------------

    def _require_settings(self) -> CassandraSettings:
        if self._session is None or self._settings is None:
            raise FatalError("the Cassandra adapter is not connected")
        return self._settings

    def _table(self, table: str) -> TableStatements:
        state = self._tables.get(table)
        if state is None:
            if self._session is None:
                raise FatalError("the Cassandra adapter is not connected")
            raise FatalError(f"table {table!r} was not set up on this connection")
        return state

    def _simple(self, query: str, level: Any) -> Any:
        from cassandra.query import SimpleStatement

        return SimpleStatement(query, consistency_level=level)
