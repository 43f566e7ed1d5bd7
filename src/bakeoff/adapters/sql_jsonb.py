"""The JSONB document model of PostgreSQL: each root entity one table of a key column and
one JSONB document holding the row, its children embedded as arrays.

Fields are read with JSONB operators (``doc ->> 'status'``) cast to their type, and the
`indexes` fields and the (partition, ordering) pair get B-tree expression indexes on
exactly those expressions, which is what lets the planner use them for equality, ranges
and ordered scans (a GIN index serves containment, not ranges or ORDER BY). A child
entity is read by unnesting its parents' arrays (``jsonb_array_elements``), so its finds,
ranges and aggregates run in SQL too, over every parent document.

Decimals are JSON numbers, which JSONB keeps exact (its numbers are PostgreSQL numerics)
and answers come back as floats; a transaction decrements a stock member of another
document with a conditional UPDATE, in one database transaction, as the normalised model
does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from bakeoff.adapters.data_model import Prepared
from bakeoff.adapters.sql_documents import DOC, build_documents, json_text, member
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
from bakeoff.adapters.sql_tables import typed
from bakeoff.core.schema import FieldType, OperationSpec, Parameters, Row, Schema


class JsonbModel(SqlModelBase):
    """Root entities as JSONB documents with their children embedded (PostgreSQL)."""

    name: ClassVar[str] = "jsonb"
    adapters: ClassVar[frozenset[str]] = frozenset({"postgres"})
    default: ClassVar[bool] = False
    description: ClassVar[str] = (
        "JSONB documents: one table per root entity with a key column and a JSONB document"
        " holding the row with its children embedded, B-tree expression indexes on the"
        " looked-up and ordering members, queries and aggregates with JSONB operators"
    )

    def __init__(self) -> None:
        super().__init__()
        self._stores: dict[str, tuple[CompiledStatement, CompiledStatement]] = {}

    @classmethod
    def layout(cls, schema: Schema) -> list[str]:
        from sqlalchemy.dialects import postgresql

        from bakeoff.adapters.sql_tables import ddl

        metadata, _ = build_documents(schema)
        return ddl(metadata, postgresql.dialect())  # type: ignore[no-untyped-call]

    def _build(self, schema: Schema) -> None:
        self._metadata, self._tables = build_documents(schema)
        self._stores = {}

    # -- layout of an entity ------------------------------------------------------------

    def _layout(self, entity: str) -> tuple[Any, Any, Field]:
        """The FROM clause of `entity`, the expression of its whole row (a document or an
        array element) and of each field."""
        import sqlalchemy as sa
        from sqlalchemy.dialects import postgresql

        spec = self.schema.entities[entity]
        if spec.parent is None:
            table = self._tables[entity]
            key = spec.key[0]

            def root_field(name: str) -> Any:
                if name == key:
                    return table.c[key]
                return member(table.c[DOC], name, spec.fields[name].type)

            return table, table.c[DOC], root_field
        parent = self._tables[spec.parent.entity]
        array = parent.c[DOC].op("->", return_type=postgresql.JSONB)(
            sa.literal_column(f"'{entity}'")
        )
        elements = (
            sa.func.jsonb_array_elements(array)
            .table_valued(sa.column("value", postgresql.JSONB), name="element")
            .lateral()
        )
        source = parent.join(elements, sa.true())
        return source, elements.c.value, lambda n: member(elements.c.value, n, spec.fields[n].type)

    def _row(self, entity: str, document: Mapping[str, Any]) -> Row:
        return {f: document.get(f) for f in self.schema.entities[entity].fields}

    def _bind(self, entity: str) -> Any:
        fields = self.schema.entities[entity].fields

        def bind(field: str, value: Any) -> Any:
            return json_text(value) if fields[field].type is FieldType.JSON else value

        return bind

    # -- writes ---------------------------------------------------------------------

    def _store_statements(self, entity: str) -> tuple[CompiledStatement, CompiledStatement]:
        """(insert, upsert) of `entity`'s documents, compiled once."""
        cached = self._stores.get(entity)
        if cached is None:
            import sqlalchemy as sa
            from sqlalchemy.dialects import postgresql

            table = self._tables[entity]
            key = self.schema.entities[entity].key[0]
            values = {
                key: sa.bindparam("_key"),
                DOC: sa.cast(sa.bindparam("_doc"), postgresql.JSONB),
            }
            upsert = postgresql.insert(table).values(values)
            upsert = upsert.on_conflict_do_update(
                index_elements=[key], set_={DOC: upsert.excluded[DOC]}
            )
            insert = sa.insert(table).values(values)
            cached = (self._db.compile(insert), self._db.compile(upsert))
            self._stores[entity] = cached
        return cached

    def _store(self, entity: str, rows: Sequence[Row], how: str) -> None:
        insert, upsert = self._store_statements(entity)
        key = self.schema.entities[entity].key[0]
        documents = [
            {"_key": row[key], "_doc": json_text(self._document(entity, row))} for row in rows
        ]
        self._db.execute_many(upsert if how == "upsert" else insert, documents)

    def _document(self, entity: str, row: Row) -> Row:
        document = self._row(entity, row)
        for child in self.schema.children_of(entity):
            lines: Any = row.get(child) or []
            document[child] = [self._row(child, line) for line in lines]
        return document

    def dump(self, entity: str) -> list[Row]:
        import sqlalchemy as sa

        source, document, field = self._layout(entity)
        key = self.schema.entities[entity].key
        stmt = sa.select(document).select_from(source).order_by(*(field(k) for k in key))
        return [self._row(entity, d) for (d,) in self._db.query(self._db.compile(stmt), {})]

    def _prepare_get(self, operation: OperationSpec) -> Prepared:
        import sqlalchemy as sa

        entity = operation.entity
        _, document, field = self._layout(entity)
        key = self.schema.entities[entity].key[0]
        stmt = self._db.compile(sa.select(document).where(field(key) == sa.bindparam("_key")))
        children = self.schema.children_of(entity) if operation.with_children else []
        db, row_of = self._db, self._row

        def get(params: Parameters) -> Row | None:
            found = db.query(stmt, {"_key": params["key"]})
            if not found:
                return None
            doc = found[0][0]
            row = row_of(entity, doc)
            for child in children:
                row[child] = [row_of(child, line) for line in doc.get(child) or []]
            return row

        return get

    def _prepare_find(self, operation: OperationSpec) -> Prepared:
        import sqlalchemy as sa

        entity, field_name = operation.entity, operation.field or ""
        source, document, field = self._layout(entity)
        key = self.schema.entities[entity].key
        where = [field(field_name) == sa.bindparam("_value")]
        stmt = self._db.compile(select_rows([document], source, field, key, operation, where))
        db, row_of, bind = self._db, self._row, self._bind(entity)

        def find(params: Parameters) -> list[Row]:
            found = db.query(stmt, {"_value": bind(field_name, params["value"])})
            return [row_of(entity, d) for (d,) in found]

        return find

    def _prepare_range(self, operation: OperationSpec) -> Prepared:
        entity = operation.entity
        source, document, field = self._layout(entity)
        key = self.schema.entities[entity].key
        where = window_where(field, operation)
        stmt = self._db.compile(select_rows([document], source, field, key, operation, where))
        db, row_of, bind = self._db, self._row, self._bind(entity)

        def range_(params: Parameters) -> list[Row]:
            found = db.query(stmt, window_values(operation, params, bind))
            return [row_of(entity, d) for (d,) in found]

        return range_

    def _prepare_aggregate(self, operation: OperationSpec) -> Prepared:
        source, _, field = self._layout(operation.entity)
        stmt = self._db.compile(aggregate_statement(source, field, operation))
        return answer_aggregate(self._db, stmt, operation, self._bind(operation.entity))

    def _compile_store(self, operation: OperationSpec, how: str) -> None:
        self._store_statements(operation.entity)

    def _patch(self, entity: str, where: list[Any], patch: Any) -> CompiledStatement:
        """UPDATE the document of a key (and `where`) with `doc || patch`."""
        import sqlalchemy as sa

        table = self._tables[entity]
        key = self.schema.entities[entity].key[0]
        stmt = (
            sa.update(table)
            .where(table.c[key] == sa.bindparam("_key"), *where)
            .values({DOC: table.c[DOC].op("||")(patch)})
        )
        return self._db.compile(stmt)

    def _prepare_update(self, operation: OperationSpec) -> Prepared:
        import sqlalchemy as sa
        from sqlalchemy.dialects import postgresql

        patch = sa.cast(sa.bindparam("_patch"), postgresql.JSONB)
        stmt, db = self._patch(operation.entity, [], patch), self._db

        def update(params: Parameters) -> None:
            values: Any = params["values"]
            db.execute(stmt, {"_key": params["key"], "_patch": json_text(dict(values))})

        return update

    def _prepare_delete(self, operation: OperationSpec) -> Prepared:
        import sqlalchemy as sa

        table = self._tables[operation.entity]
        key = self.schema.entities[operation.entity].key[0]
        stmt = self._db.compile(sa.delete(table).where(table.c[key] == sa.bindparam("_key")))
        db = self._db

        def delete(params: Parameters) -> None:
            # The children are inside the document: one statement deletes them all.
            db.execute(stmt, {"_key": params["key"]})

        return delete

    def _prepare_compare_and_set(self, operation: OperationSpec) -> Prepared:
        import sqlalchemy as sa
        from sqlalchemy.dialects import postgresql

        entity, name = operation.entity, operation.field or ""
        spec = self.schema.entities[entity].fields[name]
        _, _, field = self._layout(entity)
        patch = sa.cast(sa.bindparam("_patch"), postgresql.JSONB)
        stmt = self._patch(entity, [field(name) == sa.bindparam("_expect")], patch)
        fixed = {
            "_expect": self._bind(entity)(name, typed(spec, operation.expect or "")),
            "_patch": json_text({name: typed(spec, operation.to or "")}),
        }
        db = self._db
        return lambda params: db.execute(stmt, {"_key": params["key"], **fixed}) == 1

    def _take(self, operation: OperationSpec) -> CompiledStatement:
        import sqlalchemy as sa

        decrement = operation.decrement
        assert decrement is not None
        _, _, stock_field = self._layout(decrement.entity)
        amount = stock_field(decrement.field)
        name: Any = sa.literal_column(f"'{decrement.field}'")
        patch = sa.func.jsonb_build_object(name, amount - sa.bindparam("_n"))
        return self._patch(decrement.entity, [amount >= sa.bindparam("_n")], patch)
