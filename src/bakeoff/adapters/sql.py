"""The SQL adapter: one YCSB-style table driven through SQLAlchemy 2 Core.

Serves every engine SQLAlchemy has a dialect for; the catalog uses it for SQLite, DuckDB
(through duckdb-engine), PostgreSQL (psycopg 3) and MariaDB/MySQL (PyMySQL).

Statements are built with SQLAlchemy Core and compiled once per adapter by the engine's
own dialect (quoting, paramstyle, LIMIT syntax); each call then goes straight to the DBAPI
cursor with bound parameters. Going through ``Connection.execute`` would add tens of
microseconds of SQLAlchemy bookkeeping to every timed call, which on an embedded engine is
more than the operation itself costs.

Every operation runs in autocommit mode, as YCSB's JDBC binding does by default.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from bakeoff.adapters.errors import (
    AdapterError,
    FatalError,
    TransientError,
    UnsupportedError,
    dbapi_exceptions,
    missing_driver,
)
from bakeoff.adapters.protocol import Capability, Endpoint, Record, TableSpec
from bakeoff.adapters.sql_explain import explain_statement
from bakeoff.adapters.sql_settle import answer_error, settle_statements
from bakeoff.adapters.sql_statements import (
    KEY_COLUMN,
    CompiledStatement,
    SqlSession,
    operation_statement,
)
from bakeoff.core.query_plans import QueryPlan, QueryShape

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_SETTING_VALUE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
# Engines whose settings live in the connection (there is no server to configure).
_CONNECTION_SETTINGS = {"sqlite": "PRAGMA {name} = {value}", "duckdb": "SET {name} = '{value}'"}
# Above this length a VARCHAR would exceed MySQL's row size limit; use an unbounded type.
_MAX_VARCHAR = 4096
# Keys compare as bytes, the order of every engine's ordered scan, whatever the locale of
# a server bakeoff did not start (en_US puts "a" before "B"; bytes put "B" first).
# PostgreSQL compares text through strcoll unless the collation is "C"; C.UTF-8, the
# image's, is not "C" to PostgreSQL 15 (docs/load-generator.md: what that costs there).
_KEY_COLLATION = {"postgresql": "C"}


def validate_identifier(name: str, what: str) -> str:
    if not _IDENTIFIER.match(name):
        raise UnsupportedError(
            f"{what} {name!r} is not a valid identifier (letters, digits and _, "
            "starting with a letter or _, at most 63 characters)"
        )
    return name


class SqlAdapter:
    """YCSB table on any SQLAlchemy dialect: a text primary key and text fields.

    Scans are ``WHERE key >= :start ORDER BY key LIMIT :n``, served by the primary key index.
    """

    name: ClassVar[str] = "sql"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.SCAN,
            Capability.ORDERED_SCAN,
            Capability.BATCH_INSERT,
            Capability.DELETE,
            Capability.COUNT,
            Capability.EXISTS,
            Capability.EXPLAIN,
            Capability.SETTLE,
        }
    )

    def __init__(self) -> None:
        self._engine: Any = None
        self._connection: Any = None
        self._dbapi: Any = None
        self._cursor: Any = _NotConnected()
        self._replica: Any = None
        self._read_cursor: Any = _NotConnected()
        """Where reads and scans go: this connection's cursor, or a replica's."""
        self._tables: dict[str, Any] = {}
        self._statements: dict[tuple[str, str, tuple[str, ...]], CompiledStatement] = {}
        self._transient: tuple[type[BaseException], ...] = ()
        self._driver_errors: tuple[type[BaseException], ...] = (AdapterError,)

    # -- lifecycle -------------------------------------------------------------------

    def connect(self, endpoint: Endpoint, options: Mapping[str, str]) -> None:
        import sqlalchemy as sa  # lazily: importing the adapter must not need the driver
        from sqlalchemy.pool import NullPool

        try:
            # One adapter is one connection; pooling would only hide connection churn.
            self._engine = sa.create_engine(endpoint.url, poolclass=NullPool)
            connection = self._engine.connect()
            try:
                self._connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            except (AttributeError, NotImplementedError):
                # duckdb-engine advertises AUTOCOMMIT but cannot set it; DuckDB commits
                # each statement itself, and setup()/teardown() commit their DDL.
                self._connection = connection
            # The driver's own connection, under any wrapper SQLAlchemy's dialect adds
            # (duckdb-engine wraps DuckDB's connection in a Python shim).
            self._dbapi = self._connection.connection.driver_connection
        except ModuleNotFoundError as exc:
            raise missing_driver(endpoint.engine, exc, None) from exc
        except sa.exc.DBAPIError as exc:
            raise FatalError(
                f"cannot connect to {endpoint.engine} at {endpoint.display_url}: "
                f"{type(exc.orig).__name__}"
            ) from exc
        self._transient, fatal = dbapi_exceptions(self._engine.dialect.loaded_dbapi, self._dbapi)
        self._driver_errors = (*fatal, *self._transient)
        self._cursor = self._read_cursor = self._dbapi.cursor()
        self._apply_connection_settings(endpoint.settings)
        if endpoint.read_url is not None:
            # As an application with a read replica does: a second connection for reads.
            try:
                replica = sa.create_engine(endpoint.read_url, poolclass=NullPool).connect()
            except sa.exc.DBAPIError as exc:
                raise FatalError(
                    f"cannot connect to {endpoint.engine}'s replica: {type(exc.orig).__name__}"
                ) from exc
            self._replica = replica.execution_options(isolation_level="AUTOCOMMIT")
            self._read_cursor = self._replica.connection.driver_connection.cursor()

    def _apply_connection_settings(self, settings: Mapping[str, str]) -> None:
        template = _CONNECTION_SETTINGS.get(self._engine.dialect.name)
        if template is None:
            return
        for name, value in settings.items():
            validate_identifier(name, "setting")
            if not _SETTING_VALUE.match(value):
                raise UnsupportedError(f"setting {name} has an unsafe value {value!r}")
            self._run(template.format(name=name, value=value), ())

    def setup(self, table: TableSpec) -> None:
        sa_table = self._table(table)
        sa_table.create(self._connection, checkfirst=True)
        self._connection.commit()

    def teardown(self, table: TableSpec) -> None:
        sa_table = self._table(table)
        sa_table.drop(self._connection, checkfirst=True)
        self._connection.commit()
        self._tables.pop(table.name, None)
        self._statements = {k: v for k, v in self._statements.items() if k[1] != table.name}

    def close(self) -> None:
        replica, self._replica, self._read_cursor = self._replica, None, _NotConnected()
        if replica is not None:
            with contextlib.suppress(Exception):
                replica.invalidate()
                replica.close()
        cursor, self._cursor = self._cursor, _NotConnected()
        if not isinstance(cursor, _NotConnected):
            # Closing a broken cursor must not mask the error that broke it.
            with contextlib.suppress(Exception):
                cursor.close()
        connection, self._connection = self._connection, None
        if connection is not None:
            # Closed outright rather than returned to the pool, which would reset it
            # first (a rollback, the isolation level): on a lost engine or a connection
            # stopped mid-request that fails, and SQLAlchemy logs it as a traceback.
            connection.invalidate()
            connection.close()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    # -- operations ------------------------------------------------------------------
    # Each operation is one statement lookup, one execute and, for reads, one fetch, with
    # the driver's exceptions translated inline: on an embedded engine a helper call per
    # operation costs as much as the operation.

    def read(self, table: str, key: str, fields: Sequence[str] | None) -> Record | None:
        stmt = self._compiled("read", table, field_key(fields))
        cursor = self._read_cursor
        try:
            cursor.execute(stmt.sql, stmt.key_params(key))
            # fetchall, not fetchone: it finishes the statement, which SQLite would
            # otherwise keep open (and with it a read snapshot) until the next execute.
            rows = cursor.fetchall()
        except self._driver_errors as exc:
            raise self._translate(exc) from exc
        if not rows:
            return None
        return dict(zip(stmt.names_out, rows[0], strict=True))

    def insert(self, table: str, key: str, values: Mapping[str, str]) -> None:
        stmt = self._compiled("insert", table, tuple(values))
        try:
            self._cursor.execute(stmt.sql, stmt.params({KEY_COLUMN: key, **values}))
        except self._driver_errors as exc:
            raise self._translate(exc) from exc

    def insert_batch(self, table: str, rows: Sequence[tuple[str, Mapping[str, str]]]) -> None:
        if not rows:
            return
        stmt = self._compiled("insert", table, tuple(rows[0][1]))
        params = [stmt.params({KEY_COLUMN: key, **values}) for key, values in rows]
        cursor = self._cursor
        try:
            # One transaction per batch: autocommit per row would make loading fsync-bound.
            cursor.execute("BEGIN")
            try:
                cursor.executemany(stmt.sql, params)
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")
        except self._driver_errors as exc:
            raise self._translate(exc) from exc

    def update(self, table: str, key: str, values: Mapping[str, str]) -> None:
        stmt = self._compiled("update", table, tuple(values))
        try:
            self._cursor.execute(stmt.sql, stmt.params({"key": key, **values}))
        except self._driver_errors as exc:
            raise self._translate(exc) from exc

    def delete(self, table: str, key: str) -> None:
        stmt = self._compiled("delete", table, ())
        try:
            self._cursor.execute(stmt.sql, stmt.key_params(key))
        except self._driver_errors as exc:
            raise self._translate(exc) from exc

    def exists(self, table: str, key: str) -> bool:
        stmt = self._compiled("exists", table, ())
        cursor = self._cursor
        try:
            cursor.execute(stmt.sql, stmt.key_params(key))
            rows = cursor.fetchall()
        except self._driver_errors as exc:
            raise self._translate(exc) from exc
        return bool(rows)

    def scan(
        self, table: str, start_key: str, count: int, fields: Sequence[str] | None
    ) -> list[tuple[str, Record]]:
        stmt = self._compiled("scan", table, field_key(fields))
        cursor = self._read_cursor
        try:
            cursor.execute(stmt.sql, stmt.params({"key": start_key, "count": count}))
            rows = cursor.fetchall()
        except self._driver_errors as exc:
            raise self._translate(exc) from exc
        names = stmt.names_out[1:]
        return [(row[0], dict(zip(names, row[1:], strict=True))) for row in rows]

    def count_records(self, table: str) -> int:
        stmt = self._compiled("count", table, ())
        cursor = self._cursor
        try:
            cursor.execute(stmt.sql, stmt.params({}))
            rows = cursor.fetchall()
        except self._driver_errors as exc:
            raise self._translate(exc) from exc
        return int(rows[0][0])

    def explain(self, table: str, shape: QueryShape) -> QueryPlan:
        """The plan of one operation's statement (sql_explain.py: which EXPLAIN, where)."""
        values = dict(shape.values)
        stmt = self._compiled(shape.name, table, tuple(values))
        given = {"key": shape.key, KEY_COLUMN: shape.key, "count": shape.count, **values}
        try:
            return explain_statement(
                self._cursor,
                self._engine.dialect,
                shape.name,
                stmt.sql,
                stmt.params(given),
                shape.writes,
            )
        except self._driver_errors as exc:
            raise self._translate(exc) from exc

    def settle(self, table: TableSpec) -> str:
        """The dialect's statements for a table after a bulk load (sql_settle.py)."""
        dialect = self._engine.dialect
        quoted = dialect.identifier_preparer.format_table(self._table(table))
        done = []
        for statement in settle_statements(dialect.name):
            sql = statement.sql(quoted)
            try:
                self._cursor.execute(sql)
                error = answer_error(list(self._cursor.fetchall())) if statement.answers else None
            except self._driver_errors as exc:
                failed = self._translate(exc)
                raise type(failed)(f"{sql} ({statement.purpose}): {failed}") from exc
            if error is not None:
                raise FatalError(f"{sql} ({statement.purpose}): {error}")
            done.append(sql)
        return "; ".join(done) or f"nothing: no settling statement known for {dialect.name}"

    def session(self) -> SqlSession:
        """This connection as the data models (`bakeoff.adapters.sql_models`) use it."""
        return SqlSession(
            self._connection,
            self._engine.dialect,
            self._cursor,
            self._driver_errors,
            self._translate,
        )

    def _run(self, sql: str, params: Any) -> None:
        try:
            self._cursor.execute(sql, params)
        except self._driver_errors as exc:
            raise self._translate(exc) from exc

    def _translate(self, exc: BaseException) -> AdapterError:
        """A driver exception as the adapter error hierarchy sees it.

        An OperationalError is transient (a lock timeout, a deadlock) unless the
        connection went with it: then the engine is lost, and benchmarking on would only
        count errors.
        """
        if isinstance(exc, AdapterError):
            return exc
        if isinstance(exc, self._transient) and not self._connection_lost(exc):
            return TransientError(f"{type(exc).__name__}: {exc}")
        return FatalError(f"{type(exc).__name__}: {exc}")

    def _connection_lost(self, exc: BaseException) -> bool:
        """Did `exc` end the connection? The SQLAlchemy dialect knows each driver's signs."""
        try:
            return bool(self._engine.dialect.is_disconnect(exc, self._dbapi, self._cursor))
        except Exception:  # a dialect that cannot tell: keep the driver's own verdict
            return False

    # -- statements ------------------------------------------------------------------

    def _table(self, spec: TableSpec) -> Any:
        import sqlalchemy as sa

        existing = self._tables.get(spec.name)
        if existing is not None:
            return existing
        validate_identifier(spec.name, "table name")
        for field in spec.field_names:
            validate_identifier(field, "field name")
        text_type: Any = (
            sa.String(spec.max_field_length) if spec.max_field_length <= _MAX_VARCHAR else sa.Text()
        )
        metadata = sa.MetaData()
        sa_table = sa.Table(
            spec.name,
            metadata,
            sa.Column(
                KEY_COLUMN,
                sa.String(spec.key_length, collation=_KEY_COLLATION.get(self._engine.dialect.name)),
                primary_key=True,
            ),
            *(sa.Column(name, text_type) for name in spec.field_names),
        )
        self._tables[spec.name] = sa_table
        return sa_table

    def _known_table(self, name: str) -> Any:
        sa_table = self._tables.get(name)
        if sa_table is None:
            raise FatalError(f"table {name!r} is unknown on this connection: call setup() first")
        return sa_table

    def _compiled(self, kind: str, table: str, fields: tuple[str, ...]) -> CompiledStatement:
        cache_key = (kind, table, fields)
        stmt = self._statements.get(cache_key)
        if stmt is None:
            stmt = operation_statement(kind, self._known_table(table), fields, self._engine.dialect)
            self._statements[cache_key] = stmt
        return stmt


class _NotConnected:
    """Stands in for the cursor before connect() and after close()."""

    def __getattr__(self, name: str) -> Any:
        raise FatalError("the adapter is not connected")


def field_key(fields: Sequence[str] | None) -> tuple[str, ...]:
    if not fields:
        return ()
    return fields if isinstance(fields, tuple) else tuple(fields)
