"""The normalised data model of the SQL engines: one table per entity (`sql_tables`), every
operation one SQL statement or one database transaction, built with SQLAlchemy Core and
compiled once per connection by the engine's own dialect.

Serves the `sql` adapter (SQLite, DuckDB, MariaDB, MySQL) and the `postgres` adapter.
What differs between the dialects stays in the model's modules: the upsert (ON CONFLICT
on PostgreSQL, DuckDB and SQLite, ON DUPLICATE KEY UPDATE on MariaDB/MySQL:
`sql_tables.upsert_statement`), how a write transaction starts and how DuckDB takes many
rows (`sql_session_base`), how a value crosses the driver (`sql_tables.binder`), and a
time bucket as integer arithmetic every dialect means the same by (`sql_queries`).

A get with children is one statement (a LEFT JOIN), so the row and its children come from
one snapshot; reads run in autocommit, writes of several statements in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from bakeoff.adapters.data_model import (
    Prepared,
)
from bakeoff.adapters.sql_model_base import SqlModelBase
from bakeoff.adapters.sql_queries import (
    Field,
    aggregate_statement,
    answer_aggregate,
    select_rows,
    window_values,
    window_where,
)
from bakeoff.adapters.sql_statements import CompiledStatement
from bakeoff.adapters.sql_tables import RowCodec, build_tables, ddl, typed, upsert_statement
from bakeoff.core.schema import OperationSpec, Parameters, Row, Schema


class NormalisedModel(SqlModelBase):
    """One table per entity; children in their own table keyed by (parent, sequence)."""

    name: ClassVar[str] = "normalised"
    adapters: ClassVar[frozenset[str]] = frozenset({"sql", "postgres"})
    default: ClassVar[bool] = True
    description: ClassVar[str] = (
        "normalised tables: one table per entity with typed columns, primary keys and the"
        " declared secondary indexes, children in their own table keyed by (parent,"
        " sequence); each operation one SQL statement, a transaction one database transaction"
    )

    def __init__(self) -> None:
        super().__init__()
        self._codecs: dict[str, RowCodec] = {}
        self._writes: dict[tuple[str, str], CompiledStatement] = {}

    @classmethod
    def layout(cls, schema: Schema) -> list[str]:
        # Written in SQLAlchemy's generic SQL (its string dialect, which renders every
        # type): an engine's own DDL differs only in how it spells the types.
        from sqlalchemy.engine.default import StrCompileDialect

        metadata, _ = build_tables(schema)
        return ddl(metadata, StrCompileDialect())

    def _build(self, schema: Schema) -> None:
        self._metadata, self._tables = build_tables(schema)
        dialect = self._db.dialect_name
        self._codecs = {name: RowCodec(schema, name, dialect) for name in schema.entities}
        self._writes = {}

    # -- statements ------------------------------------------------------------------

    def _write(self, kind: str, entity: str) -> CompiledStatement:
        """The upsert or delete-children statement of `entity`, compiled once."""
        cached = self._writes.get((kind, entity))
        if cached is None:
            cached = self._db.compile(self._write_statement(kind, entity))
            self._writes[(kind, entity)] = cached
        return cached

    def _write_statement(self, kind: str, entity: str) -> Any:
        import sqlalchemy as sa

        table = self._tables[entity]
        spec = self.schema.entities[entity]
        if kind == "delete_children":
            assert spec.parent is not None
            return sa.delete(table).where(table.c[spec.parent.field] == sa.bindparam("_key"))
        return upsert_statement(table, spec.key, self._db.dialect_name)

    def _store(self, entity: str, rows: Sequence[Row], how: str) -> None:
        bind = self._codecs[entity].bind
        if how == "upsert":
            self._db.execute_many(self._write(how, entity), [bind(r) for r in rows])
        else:
            self._db.insert_rows(self._tables[entity], [bind(r) for r in rows])
        key = self.schema.entities[entity].key[0]
        for child in self.schema.children_of(entity):
            if how == "upsert":
                for row in rows:
                    self._db.execute(self._write("delete_children", child), {"_key": row[key]})
            bind = self._codecs[child].bind
            lines = [bind(c) for r in rows for c in r.get(child) or ()]  # type: ignore[attr-defined]
            self._db.insert_rows(self._tables[child], lines)

    def dump(self, entity: str) -> list[Row]:
        import sqlalchemy as sa

        table = self._tables[entity]
        key = self.schema.entities[entity].key
        stmt = self._db.compile(sa.select(table).order_by(*(table.c[k] for k in key)))
        return [self._codecs[entity].row(r) for r in self._db.query(stmt, {})]

    def _layout(self, entity: str) -> tuple[Any, Field, tuple[str, ...]]:
        """The entity's table, its columns by field name, and its key."""
        table = self._tables[entity]
        return table, table.c.__getitem__, self.schema.entities[entity].key

    def _bind(self, entity: str) -> Any:
        return self._codecs[entity].bind_value

    def _child(self, child: str) -> tuple[Any, Any, Any]:
        """A child entity's table, its parent column and its sequence column."""
        spec, table = self.schema.entities[child], self._tables[child]
        assert spec.parent is not None and spec.sequence_field is not None
        return table, table.c[spec.parent.field], table.c[spec.sequence_field]

    def _prepare_get(self, operation: OperationSpec) -> Prepared:
        """The row and, with children, its first child entity's rows in the same round
        trip (a LEFT JOIN ordered by sequence); any further child entity in a query of its
        own (joining two would multiply their rows)."""
        import sqlalchemy as sa

        entity, db = operation.entity, self._db
        table = self._tables[entity]
        key = table.c[self.schema.entities[entity].key[0]]
        by_key = key == sa.bindparam("_key")
        kids = self.schema.children_of(entity) if operation.with_children else []
        stmt = sa.select(table).where(by_key)
        width, sequence_at = len(table.c), 0
        if kids:
            child_table, parent, sequence = self._child(kids[0])
            joined = table.outerjoin(child_table, parent == key)
            stmt = sa.select(table, child_table).select_from(joined)
            stmt = stmt.where(by_key).order_by(sequence)
            sequence_at = width + list(child_table.c).index(sequence)
        others = []
        for child in kids[1:]:
            child_table, parent, sequence = self._child(child)
            query = sa.select(child_table).where(parent == sa.bindparam("_key"))
            others.append((child, db.compile(query.order_by(sequence)), self._codecs[child]))
        compiled, codec = db.compile(stmt), self._codecs[entity]
        first = (kids[0], self._codecs[kids[0]]) if kids else None

        def get(params: Parameters) -> Row | None:
            values = {"_key": params["key"]}
            found = db.query(compiled, values)
            if not found:
                return None
            row = codec.row(found[0][:width])
            if first is not None:  # a row without children joins one row of NULLs
                name, child_codec = first
                row[name] = [
                    child_codec.row(r[width:]) for r in found if r[sequence_at] is not None
                ]
            for name, query, child_codec in others:
                row[name] = [child_codec.row(r) for r in db.query(query, values)]
            return row

        return get

    def _prepare_find(self, operation: OperationSpec) -> Prepared:
        import sqlalchemy as sa

        field = operation.field or ""
        table, column, key = self._layout(operation.entity)
        where = [column(field) == sa.bindparam("_value")]
        stmt = self._db.compile(select_rows([table], table, column, key, operation, where))
        codec, db = self._codecs[operation.entity], self._db

        def find(params: Parameters) -> list[Row]:
            found = db.query(stmt, {"_value": codec.bind_value(field, params["value"])})
            return [codec.row(r) for r in found]

        return find

    def _prepare_range(self, operation: OperationSpec) -> Prepared:
        table, column, key = self._layout(operation.entity)
        where = window_where(column, operation)
        stmt = self._db.compile(select_rows([table], table, column, key, operation, where))
        codec, db, bind = self._codecs[operation.entity], self._db, self._bind(operation.entity)

        def range_(params: Parameters) -> list[Row]:
            found = db.query(stmt, window_values(operation, params, bind))
            return [codec.row(r) for r in found]

        return range_

    def _prepare_aggregate(self, operation: OperationSpec) -> Prepared:
        table, column, _ = self._layout(operation.entity)
        stmt = self._db.compile(aggregate_statement(table, column, operation))
        db, bind = self._db, self._bind(operation.entity)
        return answer_aggregate(db, stmt, operation, bind)

    def _compile_store(self, operation: OperationSpec, how: str) -> None:
        # A child's rows per call vary (at least one): its inserts compiled per batch size.
        entity = operation.entity
        self._db.insert_statement(self._tables[entity], operation.batch)
        for child in self.schema.children_of(entity):
            self._db.insert_statement(self._tables[child], operation.batch)
            if how == "upsert":
                self._write("delete_children", child)
        if how == "upsert":
            self._write(how, entity)

    def _prepare_update(self, operation: OperationSpec) -> Prepared:
        import sqlalchemy as sa

        table = self._tables[operation.entity]
        key = self.schema.entities[operation.entity].key[0]
        stmt = self._db.compile(
            sa.update(table)
            .where(table.c[key] == sa.bindparam("_key"))
            .values({f: sa.bindparam(f"_set_{f}") for f in operation.set})
        )
        codec, db = self._codecs[operation.entity], self._db

        def update(params: Parameters) -> None:
            new: Any = params["values"]
            values = {f"_set_{f}": codec.bind_value(f, new[f]) for f in operation.set}
            db.execute(stmt, {"_key": params["key"], **values})

        return update

    def _prepare_delete(self, operation: OperationSpec) -> Prepared:
        import sqlalchemy as sa

        entity = operation.entity
        table = self._tables[entity]
        key = self.schema.entities[entity].key[0]
        root = self._db.compile(sa.delete(table).where(table.c[key] == sa.bindparam("_key")))
        children = [self._write("delete_children", c) for c in self.schema.children_of(entity)]
        db = self._db

        def delete(params: Parameters) -> None:
            values = {"_key": params["key"]}
            with db.transaction():
                for stmt in children:
                    db.execute(stmt, values)
                db.execute(root, values)

        return delete

    def _prepare_compare_and_set(self, operation: OperationSpec) -> Prepared:
        import sqlalchemy as sa

        entity, field = operation.entity, operation.field or ""
        table = self._tables[entity]
        spec = self.schema.entities[entity]
        stmt = self._db.compile(
            sa.update(table)
            .where(table.c[spec.key[0]] == sa.bindparam("_key"))
            .where(table.c[field] == sa.bindparam("_expect"))
            .values({field: sa.bindparam("_to")})
        )
        codec = self._codecs[entity]
        fixed = {
            "_expect": codec.bind_value(field, typed(spec.fields[field], operation.expect or "")),
            "_to": codec.bind_value(field, typed(spec.fields[field], operation.to or "")),
        }
        db = self._db
        # The rows it matched (MariaDB's driver reports found rows, not changed ones).
        return lambda params: db.execute(stmt, {"_key": params["key"], **fixed}) == 1

    def _take(self, operation: OperationSpec) -> CompiledStatement:
        import sqlalchemy as sa

        decrement = operation.decrement
        assert decrement is not None
        stock = self._tables[decrement.entity]
        stock_key = self.schema.entities[decrement.entity].key[0]
        amount = stock.c[decrement.field]
        return self._db.compile(
            sa.update(stock)
            .where(stock.c[stock_key] == sa.bindparam("_key"))
            .where(amount >= sa.bindparam("_n"))
            .values({decrement.field: amount - sa.bindparam("_n")})
        )
