"""PostgreSQL through psycopg 3's libpq wrapper: prepared statements, one round trip each.

The SQL adapter's cursor path costs about 27 µs of client CPU per point read on psycopg 3
(its cursor machinery: query conversion, the prepared-statement cache, row loaders);
libpq's own ``PQexecPrepared`` through ``Connection.pgconn`` costs about 16 µs, level
with pgbench (``python benchmarks/bench_psycopg_calls.py``). On a machine where client and
server share the cores, every client microsecond is taken from the server, so the timed
operations use the lower-overhead call. It is psycopg's documented escape hatch ("used to
send low level commands to PostgreSQL"), still the official driver and still libpq:
values travel as bound parameters of a server-side prepared statement, never in the SQL.

Everything else (tables, batch loading, counting) is the SQL adapter's. Through
``--url`` with another driver of the dialect (pg8000, psycopg2) there is no ``pgconn``,
and the operations fall back to the SQL adapter's cursor path.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from bakeoff.adapters.errors import AdapterError, FatalError, TransientError
from bakeoff.adapters.protocol import Endpoint, Record, TableSpec
from bakeoff.adapters.sql import KEY_COLUMN, SqlAdapter, field_key


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

    def __init__(self) -> None:
        super().__init__()
        self._pgconn: Any = None
        self._prepared: dict[tuple[str, str, tuple[str, ...]], PreparedStatement] = {}
        self._names = itertools.count(1)
        self._numbered_dialect: Any = None
        self._ok: tuple[Any, ...] = ()

    def connect(self, endpoint: Endpoint, options: Mapping[str, str]) -> None:
        super().connect(endpoint, options)
        pgconn = getattr(self._dbapi, "pgconn", None)
        if pgconn is None:
            return  # not psycopg 3: the SQL adapter's operations serve
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

    def read(self, table: str, key: str, fields: Sequence[str] | None) -> Record | None:
        if self._pgconn is None:
            return super().read(table, key, fields)
        stmt = self._statement("read", table, field_key(fields))
        result = self._execute(stmt, [key.encode()])
        if result.ntuples == 0:
            return None
        get = result.get_value
        return {name: _text(get(0, i)) for i, name in enumerate(stmt.columns)}

    def insert(self, table: str, key: str, values: Mapping[str, str]) -> None:
        if self._pgconn is None:
            super().insert(table, key, values)
            return
        stmt = self._statement("insert", table, tuple(values))
        row = {KEY_COLUMN: key, **values}
        self._execute(stmt, [row[n].encode() for n in stmt.params])

    def update(self, table: str, key: str, values: Mapping[str, str]) -> None:
        if self._pgconn is None:
            super().update(table, key, values)
            return
        stmt = self._statement("update", table, tuple(values))
        row = {"key": key, **values}
        self._execute(stmt, [row[n].encode() for n in stmt.params])

    def delete(self, table: str, key: str) -> None:
        if self._pgconn is None:
            super().delete(table, key)
            return
        self._execute(self._statement("delete", table, ()), [key.encode()])

    def scan(
        self, table: str, start_key: str, count: int, fields: Sequence[str] | None
    ) -> list[tuple[str, Record]]:
        if self._pgconn is None:
            return super().scan(table, start_key, count, fields)
        stmt = self._statement("scan", table, field_key(fields))
        result = self._execute(stmt, [start_key.encode(), str(count).encode()])
        get = result.get_value
        names = stmt.columns[1:]
        return [
            (get(r, 0).decode(), {name: _text(get(r, i)) for i, name in enumerate(names, 1)})
            for r in range(result.ntuples)
        ]

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
            compiled = self._build(kind, self._known_table(table), fields, self._numbered_dialect)
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

    def _result_error(self, result: Any) -> AdapterError:
        """A failed result as psycopg would have raised it, then as the adapter sees it."""
        from psycopg import errors, pq

        sqlstate = (result.error_field(pq.DiagnosticField.SQLSTATE) or b"").decode()
        message = (result.error_message or b"").decode(errors="replace").strip()
        try:
            error_class: type[BaseException] = errors.lookup(sqlstate)
        except KeyError:
            error_class = errors.DatabaseError
        if issubclass(error_class, self._transient):
            return TransientError(f"{error_class.__name__}: {message}")
        return FatalError(f"{error_class.__name__}: {message}")


def _text(value: bytes | None) -> Any:
    # A NULL field (a record inserted without it) stays None, as the cursor path returns it.
    return None if value is None else value.decode()
