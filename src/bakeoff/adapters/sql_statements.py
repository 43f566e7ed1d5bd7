"""Statements compiled once for one SQL dialect, and the connection they run on: shared by
the SQL adapter and the SQL data models (`bakeoff.adapters.sql_models`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bakeoff.adapters.errors import AdapterError

KEY_COLUMN = "ycsb_key"
"""The key column of the YCSB table (its primary key)."""


@dataclass(frozen=True)
class SqlSession:
    """One connection's SQLAlchemy connection (for DDL), dialect (to compile statements),
    DBAPI cursor (to run them), driver errors and their translation."""

    connection: Any
    dialect: Any
    cursor: Any
    driver_errors: tuple[type[BaseException], ...]
    translate: Callable[[BaseException], AdapterError]


@dataclass(frozen=True)
class CompiledStatement:
    """A statement compiled for one dialect: SQL text plus how to lay out its parameters."""

    sql: str
    names: tuple[str, ...]
    positional: bool
    defaults: Mapping[str, Any]
    """Parameters the dialect added itself (SQLite's ``OFFSET ?`` after a LIMIT)."""
    names_out: tuple[str, ...] = ()
    """Column names of the result set, in order (reads and scans)."""

    def params(self, values: Mapping[str, Any]) -> Any:
        if self.positional:
            defaults = self.defaults
            return tuple(values[n] if n in values else defaults[n] for n in self.names)
        return {**self.defaults, **values} if self.defaults else values

    def key_params(self, key: str) -> Any:
        """Parameters of a statement whose only parameter is the key (read, delete)."""
        return (key,) if self.positional else {"key": key}


def compile_statement(stmt: Any, dialect: Any, out: tuple[str, ...] = ()) -> CompiledStatement:
    """`stmt` (SQLAlchemy Core) as SQL text for `dialect`, with its parameters' layout."""
    compiled = stmt.compile(dialect=dialect)
    positional = bool(compiled.positional)
    names = tuple(compiled.positiontup or ()) if positional else tuple(compiled.params)
    defaults = {k: v for k, v in compiled.params.items() if v is not None}
    return CompiledStatement(str(compiled), names, positional, defaults, out)


def operation_statement(
    kind: str, t: Any, fields: tuple[str, ...], dialect: Any
) -> CompiledStatement:
    """The statement of one operation kind, compiled by `dialect`."""
    import sqlalchemy as sa

    key = t.c[KEY_COLUMN]
    field_cols = [t.c[f] for f in fields] if fields else [c for c in t.c if c is not key]
    out: tuple[str, ...] = ()
    stmt: Any
    if kind == "read":
        stmt = sa.select(*field_cols).where(key == sa.bindparam("key"))
        out = tuple(c.name for c in field_cols)
    elif kind == "scan":
        stmt = (
            sa.select(key, *field_cols)
            .where(key >= sa.bindparam("key"))
            .order_by(key)
            .limit(sa.bindparam("count", type_=sa.Integer, literal_execute=False))
        )
        out = (KEY_COLUMN, *(c.name for c in field_cols))
    elif kind == "insert":
        stmt = sa.insert(t).values(
            {KEY_COLUMN: sa.bindparam(KEY_COLUMN), **{f: sa.bindparam(f) for f in fields}}
        )
    elif kind == "update":
        stmt = (
            sa.update(t)
            .where(key == sa.bindparam("key"))
            .values({f: sa.bindparam(f) for f in fields})
        )
    elif kind == "delete":
        stmt = sa.delete(t).where(key == sa.bindparam("key"))
    elif kind == "exists":
        stmt = sa.select(sa.literal_column("1")).where(key == sa.bindparam("key"))
    elif kind == "count":
        stmt = sa.select(sa.func.count()).select_from(t)
    else:  # pragma: no cover - kinds are this module's own constants
        raise ValueError(kind)
    return compile_statement(stmt, dialect, out)
