"""What the SQL data models share around their own layout: the connection's lifecycle,
the plan's refusals, loads and batched writes in one transaction, and the transaction
operation (stock decrements in key order, then the row).

A model builds its tables for a schema (`_build`), stores rows (`_store`), compiles what
a store needs before the timed calls (`_compile_store`) and prepares each operation kind
(`_prepare_<kind>`); the statement that takes one stock is its own (`_take`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bakeoff.adapters.data_model import OperationPlan, Prepared
from bakeoff.adapters.errors import FatalError
from bakeoff.adapters.sql_model_explain import explain_read
from bakeoff.adapters.sql_queries import refuse_common
from bakeoff.adapters.sql_session_base import Aborted, SqlConnection
from bakeoff.adapters.sql_statements import CompiledStatement
from bakeoff.core.endpoint import Endpoint
from bakeoff.core.query_plans import QueryPlan
from bakeoff.core.schema import OperationSpec, Parameters, Row, Schema


class SqlModelBase:
    """The part of a SQL data model that does not depend on how rows are laid out."""

    def __init__(self) -> None:
        self._db = SqlConnection()
        self._schema: Schema | None = None
        self._metadata: Any = None
        self._tables: dict[str, Any] = {}

    @classmethod
    def plan(cls, schema: Schema, name: str, operation: OperationSpec) -> OperationPlan:
        refuse_common(schema, operation)
        return OperationPlan()

    # -- lifecycle -------------------------------------------------------------------

    def connect(self, endpoint: Endpoint, options: Mapping[str, str]) -> None:
        self._db.connect(endpoint, options)

    def _use(self, schema: Schema) -> None:
        if self._schema != schema:
            self._schema = schema
            self._build(schema)

    def _build(self, schema: Schema) -> None:
        """Set `_metadata` and `_tables` for `schema`, and drop what was compiled before."""
        raise NotImplementedError

    def setup(self, schema: Schema) -> None:
        self._use(schema)
        self._db.create(self._metadata)

    def teardown(self, schema: Schema) -> None:
        self._use(schema)
        self._db.drop(self._metadata)

    def close(self) -> None:
        self._db.close()

    @property
    def schema(self) -> Schema:
        if self._schema is None:
            raise FatalError("the data model has no schema on this connection: call setup() first")
        return self._schema

    # -- writes ------------------------------------------------------------------------

    def _store(self, entity: str, rows: Sequence[Row], how: str) -> None:
        """Root rows and their children, in the open transaction (`how`: insert or upsert;
        an upserted row's children replace the ones it had)."""
        raise NotImplementedError

    def _compile_store(self, operation: OperationSpec, how: str) -> None:
        """Compile what `_store` runs for `operation`, so the timed calls do not."""
        raise NotImplementedError

    def load(self, entity: str, rows: Sequence[Row]) -> None:
        with self._db.transaction():
            self._store(entity, rows, "insert")

    # -- operations ------------------------------------------------------------------

    def prepare(self, name: str, operation: OperationSpec) -> Prepared:
        refuse_common(self.schema, operation)
        build = getattr(self, f"_prepare_{operation.kind.value}")
        prepared: Prepared = build(operation)
        return prepared

    def explain(
        self, name: str, operation: OperationSpec, parameters: Parameters
    ) -> list[QueryPlan]:
        """The plans of the statements a read operation sends (sql_model_explain.py)."""

        def prepare(db: SqlConnection) -> Prepared:
            real, self._db = self._db, db
            try:
                return self.prepare(name, operation)
            finally:
                self._db = real

        return explain_read(self._db, prepare, name, parameters)

    def _prepare_insert(self, operation: OperationSpec) -> Prepared:
        return self._prepare_store(operation, "insert")

    def _prepare_upsert(self, operation: OperationSpec) -> Prepared:
        return self._prepare_store(operation, "upsert")

    def _prepare_store(self, operation: OperationSpec, how: str) -> Prepared:
        entity, db, store = operation.entity, self._db, self._store
        self._compile_store(operation, how)

        def write(params: Parameters) -> None:
            rows: Any = params["rows"]
            with db.transaction():
                store(entity, rows, how)

        return write

    def _take(self, operation: OperationSpec) -> CompiledStatement:
        """The statement taking `_n` of the decremented stock of the row keyed `_key`,
        when it has that many; it matches one row when it did."""
        raise NotImplementedError

    def _prepare_transaction(self, operation: OperationSpec) -> Prepared:
        decrement = operation.decrement
        assert decrement is not None
        take = self._take(operation)
        entity, db, store = operation.entity, self._db, self._store
        child = self.schema.children_of(entity)[0]
        self._compile_store(operation, "insert")

        def transaction(params: Parameters) -> bool:
            row: Any = params["row"]
            needed: dict[Any, int] = {}
            for line in row[child]:
                via = line[decrement.via]
                needed[via] = needed.get(via, 0) + line[decrement.by]
            committed = False
            with db.transaction():
                # In key order, so two transactions lock shared rows in the same order
                # and never deadlock on each other.
                for key, n in sorted(needed.items()):
                    if db.execute(take, {"_key": key, "_n": n}) != 1:
                        raise Aborted  # stock short (or no such row): roll back
                store(entity, [row], "insert")
                committed = True
            return committed

        return transaction
