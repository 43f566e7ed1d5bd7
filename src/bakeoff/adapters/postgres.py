"""PostgreSQL through psycopg 3's libpq wrapper: prepared statements, one round trip each.

The SQL adapter's cursor path costs about 27 µs of client CPU per point read on psycopg 3
(its cursor machinery: query conversion, the prepared-statement cache, row loaders);
libpq's own ``PQexecPrepared`` through ``Connection.pgconn`` costs about 16 µs, level
with pgbench (``python benchmarks/bench_psycopg_calls.py``). On a machine where client and
server share the cores, every client microsecond is taken from the server, so the timed
operations use the lower-overhead call. It is psycopg's documented escape hatch ("used to
send low level commands to PostgreSQL"), still the official driver and still libpq:
values travel as bound parameters of a server-side prepared statement, never in the SQL.

Everything else (tables, batch loading, counting) is the SQL adapter's. A ``--url`` that
names another driver of the dialect (pg8000, psycopg2) gets the SQL adapter instead
(`bakeoff.engines.catalog.spec_for_url`).

Split phase: ``send_query_prepared`` writes the request; when the socket is readable,
``consume_input`` / ``is_busy`` / ``get_result`` collect the reply without blocking.
"""

from __future__ import annotations

import contextlib
import itertools
import select
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from bakeoff.adapters.errors import AdapterError, FatalError, TransientError
from bakeoff.adapters.protocol import PENDING, Capability, Endpoint, Record, TableSpec
from bakeoff.adapters.sql import SqlAdapter, field_key
from bakeoff.adapters.sql_statements import KEY_COLUMN, operation_statement


@dataclass(frozen=True, slots=True)
class PreparedStatement:
    """A statement prepared on one connection: its name, the order of its parameters and
    how its result is read."""

    name: bytes
    table: str
    params: tuple[str, ...]
    columns: tuple[str, ...]
    """Result columns, in order (reads and scans)."""
    convert: _Convert
    """The operation's return value from the statement's result."""


class PostgresAdapter(SqlAdapter):
    """The SQL adapter with its five operations on libpq prepared statements."""

    name: ClassVar[str] = "postgres"
    capabilities: ClassVar[frozenset[Capability]] = SqlAdapter.capabilities | {
        Capability.SPLIT_PHASE
    }

    def __init__(self) -> None:
        super().__init__()
        self._pgconn: Any = None
        self._prepared: dict[tuple[str, str, tuple[str, ...]], PreparedStatement] = {}
        self._names = itertools.count(1)
        self._numbered_dialect: Any = None
        self._all_fields: dict[str, PreparedStatement] = {}
        """Each table's read of all fields (the usual read), looked up by table alone."""
        self._ok: tuple[int, ...] = ()
        self._in_flight: PreparedStatement | None = None
        self._send_query_prepared: Any = None
        self._flush: Any = None
        self._consume_input: Any = None
        self._is_busy: Any = None
        self._get_result: Any = None

    def connect(self, endpoint: Endpoint, options: Mapping[str, str]) -> None:
        super().connect(endpoint, options)
        pgconn = getattr(self._dbapi, "pgconn", None)
        if pgconn is None:
            driver = type(self._dbapi).__module__.split(".")[0]
            self.close()
            raise FatalError(
                f"the postgres adapter runs on psycopg 3 (postgresql+psycopg://), not on "
                f"{driver}; other drivers of the dialect get the SQL adapter"
            )
        from psycopg import pq
        from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

        if pgconn.parameter_status(b"client_encoding") != b"UTF8":
            self._run("SET client_encoding TO 'UTF8'", ())
        # Plain ints: `in` finds them by identity, without the enum's comparison.
        self._ok = (int(pq.ExecStatus.TUPLES_OK), int(pq.ExecStatus.COMMAND_OK))
        # libpq numbers its parameters ($1, $2, ...); the same dialect, that paramstyle.
        self._numbered_dialect = PGDialect_psycopg(paramstyle="numeric_dollar")  # type: ignore[no-untyped-call]
        self._pgconn = pgconn
        self._send_query_prepared = pgconn.send_query_prepared
        self._flush = pgconn.flush
        self._consume_input = pgconn.consume_input
        self._is_busy = pgconn.is_busy
        self._get_result = pgconn.get_result

    def teardown(self, table: TableSpec) -> None:
        # A later table of the same name may have other columns: forget its statements.
        stale = [p for p in self._prepared.values() if p.table == table.name]
        self._prepared = {k: p for k, p in self._prepared.items() if p.table != table.name}
        self._all_fields.pop(table.name, None)
        if self._pgconn is not None:
            for prepared in stale:
                with contextlib.suppress(Exception):
                    self._pgconn.exec_(b"DEALLOCATE " + prepared.name)
        super().teardown(table)

    def close(self) -> None:
        self._pgconn = None
        # The bound calls hold the connection too.
        self._send_query_prepared = self._flush = self._consume_input = None
        self._is_busy = self._get_result = None
        self._prepared.clear()
        self._all_fields.clear()
        super().close()

    # -- operations ------------------------------------------------------------------
    # Each operation is a request (a statement, which knows how to read its result, and
    # its parameters), run at once (exec_prepared, one C call) or split into send and
    # receive (SplitPhase).

    def read(self, table: str, key: str, fields: Sequence[str] | None) -> Record | None:
        if self._replica is not None:  # a replica's connection: the SQL adapter's path
            return super().read(table, key, fields)
        stmt = self._read_statement(table, fields)
        return stmt.convert(self._execute(stmt, (key.encode(),)), stmt)  # type: ignore[return-value]

    def insert(self, table: str, key: str, values: Mapping[str, str]) -> None:
        self._now(*self._insert(table, key, values))

    def update(self, table: str, key: str, values: Mapping[str, str]) -> None:
        self._now(*self._update(table, key, values))

    def delete(self, table: str, key: str) -> None:
        self._now(*self._delete(table, key))

    def exists(self, table: str, key: str) -> bool:
        return self._now(*self._exists(table, key))  # type: ignore[return-value]

    def scan(
        self, table: str, start_key: str, count: int, fields: Sequence[str] | None
    ) -> list[tuple[str, Record]]:
        if self._replica is not None:
            return super().scan(table, start_key, count, fields)
        return self._now(*self._scan(table, start_key, count, fields))  # type: ignore[return-value]

    def fileno(self) -> int:
        return int(self._pgconn.socket)

    def send_read(self, table: str, key: str, fields: Sequence[str] | None) -> None:
        # `_send` inlined: the point read is the hot path of read-heavy workloads, where
        # each call and attribute look-up saved is client CPU given back to the server.
        stmt = self._all_fields.get(table) if not fields else None
        if stmt is None:
            stmt = self._read_statement(table, fields)
        try:
            self._send_query_prepared(stmt.name, (key.encode(),))
            if self._flush():
                self._flush_all()
        except self._driver_errors as exc:
            raise self._translate(exc) from exc
        self._in_flight = stmt

    def send_insert(self, table: str, key: str, values: Mapping[str, str]) -> None:
        self._send(*self._insert(table, key, values))

    def send_update(self, table: str, key: str, values: Mapping[str, str]) -> None:
        self._send(*self._update(table, key, values))

    def send_delete(self, table: str, key: str) -> None:
        self._send(*self._delete(table, key))

    def send_exists(self, table: str, key: str) -> None:
        self._send(*self._exists(table, key))

    def send_scan(
        self, table: str, start_key: str, count: int, fields: Sequence[str] | None
    ) -> None:
        self._send(*self._scan(table, start_key, count, fields))

    # -- the requests ----------------------------------------------------------------

    def _read_statement(self, table: str, fields: Sequence[str] | None) -> PreparedStatement:
        return self._statement("read", table, field_key(fields))

    def _insert(self, table: str, key: str, values: Mapping[str, str]) -> _Request:
        stmt = self._statement("insert", table, tuple(values))
        return stmt, _params(stmt, {KEY_COLUMN: key, **values})

    def _update(self, table: str, key: str, values: Mapping[str, str]) -> _Request:
        stmt = self._statement("update", table, tuple(values))
        return stmt, _params(stmt, {"key": key, **values})

    def _delete(self, table: str, key: str) -> _Request:
        return self._statement("delete", table, ()), (key.encode(),)

    def _exists(self, table: str, key: str) -> _Request:
        return self._statement("exists", table, ()), (key.encode(),)

    def _scan(
        self, table: str, start_key: str, count: int, fields: Sequence[str] | None
    ) -> _Request:
        stmt = self._statement("scan", table, field_key(fields))
        return stmt, (start_key.encode(), str(count).encode())

    def _now(self, stmt: PreparedStatement, params: Sequence[bytes]) -> object:
        return stmt.convert(self._execute(stmt, params), stmt)

    def receive(self) -> object:
        # The C calls are bound once per connection (connect): a look-up less per call.
        try:
            self._consume_input()
            if self._is_busy():
                return PENDING  # part of the reply; the rest makes the socket readable
            result = self._get_result()
            # The end of the statement's results; not busy, so this does not block.
            while self._get_result() is not None:
                pass
        except self._driver_errors as exc:
            raise self._translate(exc) from exc
        if result is None or result.status not in self._ok:
            raise self._result_error(result)
        stmt = self._in_flight
        assert stmt is not None, "receive() without a request in flight"
        return stmt.convert(result, stmt)

    def _send(self, stmt: PreparedStatement, params: Sequence[bytes]) -> None:
        try:
            self._send_query_prepared(stmt.name, params)
            if self._flush():
                self._flush_all()
        except self._driver_errors as exc:
            raise self._translate(exc) from exc
        self._in_flight = stmt

    def _flush_all(self) -> None:
        # psycopg's connections are non-blocking: what the socket did not take at once
        # (a large record) is still queued in libpq, and must go out before the reply.
        pgconn = self._pgconn
        while pgconn.flush():
            select.select([], [pgconn.socket], [], 1.0)

    # -- statements ------------------------------------------------------------------

    def _execute(self, stmt: PreparedStatement, params: Sequence[bytes]) -> Any:
        try:
            result = self._pgconn.exec_prepared(stmt.name, params)
        except self._driver_errors as exc:  # the connection itself failed
            raise self._translate(exc) from exc
        if result.status not in self._ok:
            raise self._result_error(result)
        return result

    def _statement(self, kind: str, table: str, fields: tuple[str, ...]) -> PreparedStatement:
        cache_key = (kind, table, fields)
        prepared = self._prepared.get(cache_key)
        if prepared is None:
            compiled = operation_statement(
                kind, self._known_table(table), fields, self._numbered_dialect
            )
            prepared = PreparedStatement(
                name=f"bakeoff_{next(self._names)}".encode(),
                table=table,
                params=compiled.names,
                columns=compiled.names_out,
                convert=_convert(kind, compiled.names_out),
            )
            try:
                result = self._pgconn.prepare(prepared.name, compiled.sql.encode())
            except self._driver_errors as exc:
                raise self._translate(exc) from exc
            if result.status not in self._ok:
                raise self._result_error(result)
            self._prepared[cache_key] = prepared
            if kind == "read" and not fields:
                self._all_fields[table] = prepared
        return prepared

    def _result_error(self, result: Any | None) -> AdapterError:
        """A failed result as psycopg would have raised it, then as the adapter sees it."""
        from psycopg import errors, pq

        if result is None:  # a reply without a result: the connection is out of step
            return FatalError(f"no result from the server: {self._pgconn.get_error_message()}")
        sqlstate = (result.error_field(pq.DiagnosticField.SQLSTATE) or b"").decode()
        message = (result.error_message or b"").decode(errors="replace").strip()
        try:
            error_class: type[BaseException] = errors.lookup(sqlstate)
        except KeyError:
            error_class = errors.DatabaseError
        lost = sqlstate.startswith(_CONNECTION_LOST_CLASSES) or self._connection_lost(None)
        if issubclass(error_class, self._transient) and not lost:
            return TransientError(f"{error_class.__name__}: {message}")
        return FatalError(f"{error_class.__name__}: {message}")

    def _connection_lost(self, exc: BaseException | None) -> bool:
        from psycopg import pq

        if self._pgconn.status != pq.ConnStatus.OK:
            return True
        return exc is not None and super()._connection_lost(exc)


_CONNECTION_LOST_CLASSES = ("08", "57P")
"""SQLSTATE classes that end the session: connection exceptions, and the server shutting
down or terminating the backend (57P01 admin_shutdown, 57P02 crash_shutdown, ...)."""


def _params(stmt: PreparedStatement, values: Mapping[str, str]) -> list[bytes]:
    return [values[name].encode() for name in stmt.params]


def _convert(kind: str, columns: tuple[str, ...]) -> _Convert:
    if kind == "read":
        return _field if len(columns) == 1 else _record
    return {"scan": _rows, "exists": _found}.get(kind, _nothing)


def _field(result: Any, stmt: PreparedStatement) -> Record | None:
    """`_record` of a one-field read (YCSB's usual table has ten; the selftest's, one)."""
    if not result.ntuples:
        return None
    value = result.get_value(0, 0)
    field: Any = None if value is None else value.decode()  # a NULL field reads as None
    return {stmt.columns[0]: field}


def _record(result: Any, stmt: PreparedStatement) -> Record | None:
    if not result.ntuples:
        return None
    get = result.get_value
    # A loop rather than a comprehension over _text: this runs once per point read.
    record: dict[str, Any] = {}
    for i, name in enumerate(stmt.columns):
        value = get(0, i)
        record[name] = None if value is None else value.decode()
    return record


def _rows(result: Any, stmt: PreparedStatement) -> list[tuple[str, Record]]:
    get = result.get_value
    names = stmt.columns[1:]
    return [
        (get(r, 0).decode(), {name: _text(get(r, i)) for i, name in enumerate(names, 1)})
        for r in range(result.ntuples)
    ]


def _found(result: Any, stmt: PreparedStatement) -> bool:
    return bool(result.ntuples)


def _nothing(result: Any, stmt: PreparedStatement) -> None:
    return None


_Convert = Callable[[Any, PreparedStatement], object]
_Request = tuple[PreparedStatement, Sequence[bytes]]


def _text(value: bytes | None) -> Any:
    # A NULL field (a record inserted without it) stays None, as the cursor path returns it.
    return None if value is None else value.decode()
