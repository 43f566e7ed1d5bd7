"""What the SQL data models share: the SQL adapter's connection, statements compiled once
by its dialect, inserts of many rows, and explicit transactions on the DBAPI cursor.

The connection is the SQL adapter's own (`SqlAdapter.connect`: autocommit, connection
settings, error classes), so a model classifies a failure exactly as the adapter does.
Each call goes straight to the DBAPI cursor with bound parameters, as the adapter's
operations do, and materialises its result before returning.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from bakeoff.adapters.errors import FatalError
from bakeoff.adapters.sql import SqlAdapter
from bakeoff.adapters.sql_statements import CompiledStatement, SqlSession, compile_statement
from bakeoff.core.endpoint import Endpoint

_BEGIN = {"sqlite": "BEGIN IMMEDIATE"}
"""How a write transaction starts: SQLite's IMMEDIATE takes the write lock at once, so two
connections never both read and then deadlock upgrading to write (SQLITE_BUSY)."""


_MULTI_ROW_VALUES = frozenset({"duckdb"})
"""Dialects whose driver runs an executemany as one statement per row (DuckDB: several
milliseconds each), so inserts go as one INSERT ... VALUES (...), (...) per chunk."""
_CHUNK = 256
"""Rows per multi-row INSERT (a statement is compiled per chunk size in use)."""


class Aborted(Exception):  # noqa: N818 - an outcome, not an error: the transaction says no
    """Raised inside `SqlConnection.transaction` to roll back without an error."""


class SqlConnection:
    """One SQL connection for a data model (constructed unconnected, as models are)."""

    def __init__(self) -> None:
        self._adapter = SqlAdapter()
        self._session: SqlSession | None = None
        self._inserts: dict[tuple[str, int], CompiledStatement] = {}

    def connect(self, endpoint: Endpoint, options: Mapping[str, str]) -> None:
        self._adapter.connect(endpoint, options)
        self._session = self._adapter.session()

    @property
    def session(self) -> SqlSession:
        if self._session is None:
            raise FatalError("the data model is not connected")
        return self._session

    @property
    def dialect_name(self) -> str:
        return str(self.session.dialect.name)

    def compile(self, stmt: Any) -> CompiledStatement:
        return compile_statement(stmt, self.session.dialect)

    def create(self, metadata: Any) -> None:
        """Create the tables (with their indexes) that do not exist yet."""
        connection = self.session.connection
        for table in metadata.sorted_tables:
            try:
                table.create(connection, checkfirst=True)
                connection.commit()
            except Exception:
                # Another connection created it between the check and the CREATE (each
                # connection sets up, and they may start at once): the next check sees it.
                connection.rollback()
                try:
                    table.create(connection, checkfirst=True)
                    connection.commit()
                except Exception as exc:
                    raise self._translate_ddl(exc) from exc

    def drop(self, metadata: Any) -> None:
        connection = self.session.connection
        try:
            metadata.drop_all(connection, checkfirst=True)
            connection.commit()
        except Exception as exc:
            raise self._translate_ddl(exc) from exc

    def _translate_ddl(self, exc: Exception) -> Exception:
        # SQLAlchemy wraps the driver's error; the adapter classifies the original.
        original = getattr(exc, "orig", None)
        return self.session.translate(original) if original is not None else exc

    def query(self, stmt: CompiledStatement, values: Mapping[str, Any]) -> list[Any]:
        session = self.session
        try:
            session.cursor.execute(stmt.sql, stmt.params(values))
            return list(session.cursor.fetchall())
        except session.driver_errors as exc:
            raise session.translate(exc) from exc

    def execute(self, stmt: CompiledStatement, values: Mapping[str, Any]) -> int:
        """Run a write; the rows it matched."""
        session = self.session
        try:
            session.cursor.execute(stmt.sql, stmt.params(values))
            return int(session.cursor.rowcount)
        except session.driver_errors as exc:
            raise session.translate(exc) from exc

    def execute_many(self, stmt: CompiledStatement, values: Sequence[Mapping[str, Any]]) -> None:
        if not values:
            return
        session = self.session
        try:
            session.cursor.executemany(stmt.sql, [stmt.params(v) for v in values])
        except session.driver_errors as exc:
            raise session.translate(exc) from exc

    def insert_rows(self, table: Any, rows: Sequence[Mapping[str, Any]]) -> None:
        """INSERT `rows` (each a value per column of `table`) into `table`."""
        if self.dialect_name not in _MULTI_ROW_VALUES:
            self.execute_many(self.insert_statement(table, len(rows)), rows)
            return
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            values = {f"_{i}_{name}": v for i, row in enumerate(chunk) for name, v in row.items()}
            self.execute(self.insert_statement(table, len(chunk)), values)

    def insert_statement(self, table: Any, count: int) -> CompiledStatement:
        """The INSERT `insert_rows` runs for `count` rows, compiled once (call it ahead to
        keep compiling out of timed calls): of one row per execute, or where the dialect
        is in _MULTI_ROW_VALUES, of `count` rows with numbered parameters (`_<row>_<column>`)."""
        import sqlalchemy as sa

        rows = min(count, _CHUNK) if self.dialect_name in _MULTI_ROW_VALUES else 0
        compiled = self._inserts.get((table.name, rows))
        if compiled is None:
            stmt = sa.insert(table)
            if rows:
                names = [c.name for c in table.c]
                stmt = stmt.values(
                    [{n: sa.bindparam(f"_{i}_{n}") for n in names} for i in range(rows)]
                )
            compiled = self._inserts[(table.name, rows)] = self.compile(stmt)
        return compiled

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One database transaction: committed when the block ends, rolled back when it
        raises (`Aborted` is then swallowed: the caller's answer says it did not happen)."""
        session = self.session
        cursor = session.cursor
        try:
            cursor.execute(_BEGIN.get(self.dialect_name, "BEGIN"))
        except session.driver_errors as exc:
            raise session.translate(exc) from exc
        try:
            yield
        except BaseException as exc:
            # A rollback on a lost connection fails too; the first error is the one to tell.
            with contextlib.suppress(Exception):
                cursor.execute("ROLLBACK")
            if isinstance(exc, Aborted):
                return
            raise
        try:
            cursor.execute("COMMIT")
        except session.driver_errors as exc:
            with contextlib.suppress(Exception):
                cursor.execute("ROLLBACK")
            raise session.translate(exc) from exc

    def close(self) -> None:
        self._session = None
        self._inserts.clear()
        self._adapter.close()
