"""The Cassandra data model of schema workloads: one query table per access pattern.

Tables (`bakeoff.adapters.cassandra_query_tables`): each entity by key, children as a
partition of their own table per parent; a table per indexed field for `find`; a table
per partition field, clustered by the ordering field, for `range` and aggregates over
one partition. Every write writes every table (`bakeoff.adapters.cassandra_model_writes`).
Reads go to the one table that serves them natively, or use a workaround the workload
must allow (`bakeoff.adapters.cassandra_query_plan`). Connection, settings (keyspace,
replication, consistency levels) and error classification are the Cassandra adapter's
(`bakeoff.adapters.cassandra_session`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from bakeoff.adapters.cassandra_model_explain import RecordingSession, explain_read
from bakeoff.adapters.cassandra_model_ops import WRITERS
from bakeoff.adapters.cassandra_model_reads import READS
from bakeoff.adapters.cassandra_model_writes import CqlTables
from bakeoff.adapters.cassandra_query_plan import plan_operation
from bakeoff.adapters.cassandra_query_tables import (
    EntityTables,
    columns_cql,
    create_cql,
    entity_tables,
    qualified,
    select_cql,
    sort_key,
)
from bakeoff.adapters.cassandra_session import (
    SCHEMA_TIMEOUT_S,
    CqlConnection,
    ensure_keyspace,
    keyspace_replication,
    open_connection,
    raise_translated,
)
from bakeoff.adapters.data_model import OperationPlan, Prepared
from bakeoff.adapters.errors import AdapterError, FatalError
from bakeoff.core.endpoint import Endpoint
from bakeoff.core.query_plans import QueryPlan
from bakeoff.core.schema import OperationSpec, Parameters, Row, Schema

DUMP_TIMEOUT_S = 120.0


def _ddl(schema: Schema, keyspace: str | None) -> list[str]:
    tables = entity_tables(schema)
    return [
        create_cql(keyspace, table, entity.spec)
        for entity in tables.values()
        for table in entity.all
    ]


class CassandraQueryTables:
    """One query table per access pattern, every table written on every write."""

    name: ClassVar[str] = "query_tables"
    adapters: ClassVar[frozenset[str]] = frozenset({"cassandra"})
    default: ClassVar[bool] = True
    description: ClassVar[str] = (
        "One CQL table per access pattern (by key, children per parent, by each indexed "
        "field, by partition ordered by the ordering field), each holding every field and "
        "all written together in a logged batch; lightweight transactions for conditional "
        "writes and stock decrements."
    )

    def __init__(self) -> None:
        self._connection: CqlConnection | None = None
        self._schema: Schema | None = None
        self._tables: dict[str, EntityTables] = {}
        self._cql: CqlTables | None = None

    @classmethod
    def plan(cls, schema: Schema, name: str, operation: OperationSpec) -> OperationPlan:
        del name  # the plan depends on what the operation does, not on its name
        return plan_operation(schema, operation)

    @classmethod
    def layout(cls, schema: Schema) -> list[str]:
        return _ddl(schema, None)

    def connect(self, endpoint: Endpoint, options: Mapping[str, str]) -> None:
        connection = open_connection(endpoint, options)
        self.close()
        self._connection = connection

    def setup(self, schema: Schema) -> None:
        connection = self._require()
        keyspace = connection.settings.keyspace
        try:
            tables = entity_tables(schema)
        except ValueError as exc:
            raise FatalError(str(exc)) from exc
        try:
            ensure_keyspace(connection.session, connection.settings)
            existing = self._existing_columns(keyspace)
            for entity in tables.values():
                for table in entity.all:
                    columns = existing.get(table.name)
                    if columns is None:
                        connection.session.execute(
                            create_cql(keyspace, table, entity.spec), timeout=SCHEMA_TIMEOUT_S
                        )
                    elif columns != set(table.columns):
                        raise FatalError(
                            f"table {keyspace}.{table.name} exists with other columns "
                            f"({', '.join(sorted(columns))}): drop it (teardown) first"
                        )
            self._cql = CqlTables(connection.session, keyspace, schema, tables, connection.levels)
        except AdapterError:
            raise
        except Exception as exc:
            raise_translated(exc)
        self._schema, self._tables = schema, tables

    def _existing_columns(self, keyspace: str) -> dict[str, set[str]]:
        rows = self._require().session.execute(
            "SELECT table_name, column_name FROM system_schema.columns WHERE keyspace_name = %s",
            (keyspace,),
        )
        found: dict[str, set[str]] = {}
        for table, column in rows:
            found.setdefault(table, set()).add(column)
        return found

    def teardown(self, schema: Schema) -> None:
        connection = self._require()
        keyspace = connection.settings.keyspace
        self._cql = None
        try:
            if keyspace_replication(connection.session, keyspace) is None:
                return
            for entity in entity_tables(schema).values():
                for table in entity.all:
                    connection.session.execute(
                        f"DROP TABLE IF EXISTS {qualified(keyspace, table.name)}",
                        timeout=SCHEMA_TIMEOUT_S,
                    )
        except Exception as exc:
            raise_translated(exc)

    def load(self, entity: str, rows: Sequence[Row]) -> None:
        cql = self._ready()
        cql.execute_many(
            statement for row in rows for statement in cql.with_children(entity, None, row)
        )

    def prepare(self, name: str, operation: OperationSpec) -> Prepared:
        cql = self._ready()
        compile_ = READS.get(operation.kind) or WRITERS[operation.kind]
        return compile_(cql, operation)

    def explain(
        self, name: str, operation: OperationSpec, parameters: Parameters
    ) -> list[QueryPlan]:
        """The traces of the statements a read operation sends (cassandra_model_explain.py)."""
        prepared, cql = self.prepare(name, operation), self._ready()

        def run(session: RecordingSession) -> object:
            real, cql.session = cql.session, session  # read at call time by cql.execute
            try:
                return prepared(parameters)
            finally:
                cql.session = real

        try:
            return explain_read(cql.session, run, name)
        except AdapterError:
            raise
        except Exception as exc:
            raise_translated(exc)

    def dump(self, entity: str) -> list[Row]:
        cql = self._ready()
        tables = self._tables[entity]
        state = cql.by_table[tables.base.name]
        query = select_cql(cql.keyspace, tables.base, columns_cql(tables.base.columns))
        try:
            from cassandra.query import SimpleStatement

            statement = SimpleStatement(query, consistency_level=cql.levels[0])
            found = cql.session.execute(statement, timeout=DUMP_TIMEOUT_S)
            rows = [state.read(r) for r in found]
        except Exception as exc:
            raise_translated(exc)
        key = tables.spec.key
        return sorted(rows, key=sort_key(key))

    def close(self) -> None:
        connection, self._connection, self._cql = self._connection, None, None
        if connection is not None:
            connection.cluster.shutdown()

    def _require(self) -> CqlConnection:
        if self._connection is None:
            raise FatalError("the Cassandra data model is not connected")
        return self._connection

    def _ready(self) -> CqlTables:
        if self._cql is None:
            self._require()
            raise FatalError("the Cassandra data model was not set up on this connection")
        return self._cql
