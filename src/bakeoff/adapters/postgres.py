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


@dataclass(frozen=True)
class PreparedStatement:
    """A statement prepared on one connection: its name and the order of its parameters."""

    name: bytes
    table: str
    params: tuple[str, ...]
    columns: tuple[str, ...]
    """Result columns, in order (reads and scans)."""


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
        self._ok: tuple[Any, ...] = ()
        self._in_flight: tuple[PreparedStatement, _Convert] | None = None

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
        self._ok = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK)
        # libpq numbers its parameters ($1, $2, ...); the same dialect, that paramstyle.
        self._numbered_dialect = PGDialect_psycopg(paramstyle="numeric_dollar")  # type: ignore[no-untyped-call]
        self._pgconn = pgconn

    def teardown(self, table: TableSpec) -> None:
        # A later table of the same name may have other columns: forget its statements.
        stale = [p for p in self._prepared.values() if p.table == table.name]
        self._prepared = {k: p for k, p in self._prepared.items() if p.table != table.name}
        if self._pgconn is not None:
            for prepared in stale:
                with contextlib.suppress(Exception):
                    self._pgconn.exec_(b"DEALLOCATE " + prepared.name)
        super().teardown(table)

    def close(self) -> None:
        self._pgconn = None
        self._prepared.clear()
        super().close()

    # -- operations ------------------------------------------------------------------
    # Each operation is a request (statement, parameters, how to read its result), run
    # at once (exec_prepared, one C call) or split into send and receive (SplitPhase).

    def read(self, table: str, key: str, fields: Sequence[str] | None) -> Record | None:
        if self._replica is not None:  # a replica's connection: the SQL adapter's path
            return super().read(table, key, fields)
        # `_now(*_read(...))` inlined, as in send_read.
        stmt = self._statement("read", table, field_key(fields))
        return _record(self._execute(stmt, [key.encode()]), stmt)

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
        # `_read` inlined: the point read is the hot path of read-heavy workloads.
        stmt = self._statement("read", table, field_key(fields))
        self._send(stmt, [key.encode()], _record)

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

    def _read(self, table: str, key: str, fields: Sequence[str] | None) -> _Request:
        return self._statement("read", table, field_key(fields)), [key.encode()], _record

    def _insert(self, table: str, key: str, values: Mapping[str, str]) -> _Request:
        stmt = self._statement("insert", table, tuple(values))
        return stmt, _params(stmt, {KEY_COLUMN: key, **values}), _nothing

    def _update(self, table: str, key: str, values: Mapping[str, str]) -> _Request:
        stmt = self._statement("update", table, tuple(values))
        return stmt, _params(stmt, {"key": key, **values}), _nothing

    def _delete(self, table: str, key: str) -> _Request:
        return self._statement("delete", table, ()), [key.encode()], _nothing

    def _exists(self, table: str, key: str) -> _Request:
        return self._statement("exists", table, ()), [key.encode()], _found

    def _scan(
        self, table: str, start_key: str, count: int, fields: Sequence[str] | None
    ) -> _Request:
        stmt = self._statement("scan", table, field_key(fields))
        return stmt, [start_key.encode(), str(count).encode()], _rows

    def _now(self, stmt: PreparedStatement, params: list[bytes], convert: _Convert) -> object:
        return convert(self._execute(stmt, params), stmt)

    def receive(self) -> object:
        pgconn = self._pgconn
        try:
            pgconn.consume_input()
            if pgconn.is_busy():
                return PENDING  # part of the reply; the rest makes the socket readable
            result = pgconn.get_result()
            # The end of the statement's results; not busy, so this does not block.
            while pgconn.get_result() is not None:
                pass
        except self._driver_errors as exc:
            raise self._translate(exc) from exc
        if result is None or result.status not in self._ok:
            raise self._result_error(result)
        in_flight = self._in_flight
        assert in_flight is not None, "receive() without a request in flight"
        return in_flight[1](result, in_flight[0])

    def _send(self, stmt: PreparedStatement, params: list[bytes], convert: _Convert) -> None:
        pgconn = self._pgconn
        try:
            pgconn.send_query_prepared(stmt.name, params)
            # psycopg's connections are non-blocking: what the socket did not take at once
            # (a large record) is still queued in libpq, and must go out before the reply.
            while pgconn.flush():
                select.select([], [pgconn.socket], [], 1.0)
        except self._driver_errors as exc:
            raise self._translate(exc) from exc
        self._in_flight = (stmt, convert)

    # -- statements ------------------------------------------------------------------

    def _execute(self, stmt: PreparedStatement, params: list[bytes]) -> Any:
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
            )
            try:
                result = self._pgconn.prepare(prepared.name, compiled.sql.encode())
            except self._driver_errors as exc:
                raise self._translate(exc) from exc
            if result.status not in self._ok:
                raise self._result_error(result)
            self._prepared[cache_key] = prepared
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


def _record(result: Any, stmt: PreparedStatement) -> Record | None:
    if result.ntuples == 0:
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
_Request = tuple[PreparedStatement, list[bytes], _Convert]


def _text(value: bytes | None) -> Any:
    # A NULL field (a record inserted without it) stays None, as the cursor path returns it.
    return None if value is None else value.decode()
