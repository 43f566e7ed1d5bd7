"""How the Cassandra data model writes: every query table of a row on every write.

A row's copies (its table by key, by each indexed field, by its partition) and its
children are written together in one LOGGED batch, so they all land or none does (the
batchlog replays a batch a coordinator accepted). Moving a copy (an update of an indexed
or partition field) deletes its old entry, so updates, upserts and deletes read the row
first: read-before-write, not isolated from a concurrent write of the same row.

Conditional writes are lightweight transactions on the table by key; the copies then
follow at the LWT's own write time (``USING TIMESTAMP`` its ``WRITETIME``), so copies
written out of order still converge to the last committed value.

The load phase writes each statement on its own, 100 in flight (what the YCSB adapter
measured fastest here): a failed load fails the run, so a batchlog would buy nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from bakeoff.adapters.cassandra_query_tables import (
    EntityTables,
    QueryTable,
    columns_cql,
    delete_cql,
    insert_cql,
    row_reader,
    select_cql,
    where_equal,
    writers,
)
from bakeoff.adapters.cassandra_session import raise_translated
from bakeoff.core.schema import FieldType, Row, Schema

LOAD_CONCURRENCY: Final = 100
CAS_ATTEMPTS: Final = 50
"""Compare-and-set rounds on one contended row before a decrement gives up (transient)."""

Statement = tuple[Any, Sequence[object]]


def key_tuple(key: object) -> tuple[object, ...]:
    """A `key` parameter (one value, or a child's (parent, sequence)) as a tuple."""
    return tuple(key) if isinstance(key, list | tuple) else (key,)


@dataclass
class QueryTableStatements:
    """One query table's prepared writes and reads by key, on one connection."""

    table: QueryTable
    bind: Callable[[Mapping[str, object]], list[object]]
    read: Callable[[Sequence[Any]], Row]
    insert: Any
    insert_ttl: Any
    insert_at: Any
    delete: Any
    delete_at: Any
    delete_partition: Any
    select: Any
    """All columns by the whole primary key."""
    select_partition: Any
    """All columns of one partition, in clustering order."""


class CqlTables:
    """The prepared statements of every query table of a schema, on one session."""

    def __init__(
        self,
        session: Any,
        keyspace: str,
        schema: Schema,
        tables: dict[str, EntityTables],
        levels: tuple[Any, Any],
    ) -> None:
        self.session, self.keyspace, self.schema, self.tables = session, keyspace, schema, tables
        self.levels = levels
        self.by_table: dict[str, QueryTableStatements] = {}
        self.writetimes: dict[tuple[str, str], Any] = {}
        for entity in tables.values():
            for table in entity.all:
                self.by_table[table.name] = self._statements(entity, table)

    # -- statements -----------------------------------------------------------------------

    def prepared(self, query: str, *, read: bool) -> Any:
        try:
            statement = self.session.prepare(query)
        except Exception as exc:
            raise_translated(exc)
        statement.consistency_level = self.levels[0 if read else 1]
        return statement

    def _statements(self, entity: EntityTables, table: QueryTable) -> QueryTableStatements:
        ks, key = self.keyspace, table.primary_key
        names = table.columns
        if any(entity.spec.fields[c].type is FieldType.JSON for c in names):
            convert = writers(entity.spec, names)

            def bind(row: Mapping[str, object]) -> list[object]:
                return [f(row.get(n)) for n, f in zip(names, convert, strict=True)]

        else:

            def bind(row: Mapping[str, object]) -> list[object]:
                return [row.get(n) for n in names]

        columns = columns_cql(table.columns)
        return QueryTableStatements(
            table=table,
            bind=bind,
            read=row_reader(entity.spec, table.columns),
            insert=self.prepared(insert_cql(ks, table), read=False),
            insert_ttl=self.prepared(insert_cql(ks, table, "TTL"), read=False),
            insert_at=self.prepared(insert_cql(ks, table, "TIMESTAMP"), read=False),
            delete=self.prepared(delete_cql(ks, table, key), read=False),
            delete_at=self.prepared(delete_cql(ks, table, key, "TIMESTAMP"), read=False),
            delete_partition=self.prepared(delete_cql(ks, table, [table.partition]), read=False),
            select=self.prepared(select_cql(ks, table, columns, where_equal(key)), read=True),
            select_partition=self.prepared(
                select_cql(ks, table, columns, where_equal([table.partition])), read=True
            ),
        )

    # -- running ----------------------------------------------------------------------------

    def execute(self, statement: Any, params: Sequence[object] = ()) -> Any:
        try:
            return self.session.execute(statement, params)
        except Exception as exc:
            raise_translated(exc)

    def execute_together(self, statements: Sequence[Statement]) -> None:
        """One statement as it is; several in one logged batch."""
        if len(statements) == 1:
            self.execute(*statements[0])
            return
        if statements:
            self.execute(self.batch(statements))

    def batch(self, statements: Sequence[Statement]) -> Any:
        """A logged batch of `statements`."""
        from cassandra.query import BatchStatement, BatchType

        batch = BatchStatement(BatchType.LOGGED, consistency_level=self.levels[1])
        for statement, params in statements:
            batch.add(statement, params)
        return batch

    def execute_many(self, statements: Iterable[Statement | Any]) -> None:
        """Statements (or batches) 100 in flight; raises the first failure."""
        from cassandra.concurrent import execute_concurrent

        work = [s if isinstance(s, tuple) else (s, None) for s in statements]
        if not work:
            return
        try:
            execute_concurrent(self.session, work, concurrency=LOAD_CONCURRENCY)
        except Exception as exc:
            raise_translated(exc)

    # -- reads by key ---------------------------------------------------------------------------

    def read_row(self, entity: str, key: Sequence[object]) -> Row | None:
        state = self.by_table[self.tables[entity].base.name]
        row = self.execute(state.select, key).one()
        return None if row is None else state.read(row)

    def read_children(self, child: str, parent_key: object) -> list[Row]:
        state = self.by_table[self.tables[child].base.name]
        return [state.read(r) for r in self.execute(state.select_partition, (parent_key,))]

    def read_with_children(self, entity: str, key: Sequence[object]) -> Row | None:
        row = self.read_row(entity, key)
        if row is not None:
            for child in self.schema.children_of(entity):
                row[child] = self.read_children(child, key[0])
        return row

    # -- what a write changes --------------------------------------------------------------------

    def copies(
        self, entity: str, old: Row | None, new: Row | None, ttl: int | None = None
    ) -> list[Statement]:
        """Write `new` into every table of `entity`, deleting `old`'s entries it moves from."""
        out: list[Statement] = []
        for table in self.tables[entity].all:
            state = self.by_table[table.name]
            if new is not None:
                values = state.bind(new)
                out.append((state.insert_ttl, [*values, ttl]) if ttl else (state.insert, values))
            if old is not None and (new is None or table.key_of(old) != table.key_of(new)):
                out.append((state.delete, table.key_of(old)))
        return out

    def with_children(
        self, entity: str, old: Row | None, new: Row | None, ttl: int | None = None
    ) -> list[Statement]:
        """`copies` of a root row and of its children (lists under each child's name); a
        deleted row's children go with its partition in the child's table by key."""
        out = self.copies(entity, old, new, ttl)
        for child in self.schema.children_of(entity):
            tables = self.tables[child]
            olds = {tables.base.key_of(c): c for c in _children(old, child)}
            news = {tables.base.key_of(c): c for c in _children(new, child)}
            if new is None:
                assert old is not None
                parent = old[self.tables[entity].spec.key[0]]
                out.append((self.by_table[tables.base.name].delete_partition, (parent,)))
                for row in olds.values():
                    for table in tables.copies:
                        out.append((self.by_table[table.name].delete, table.key_of(row)))
                continue
            for key in {**olds, **news}:
                out.extend(self.copies(child, olds.get(key), news.get(key), ttl))
        return out

    # -- compare-and-set ---------------------------------------------------------------------------

    def prepare_follow(self, entity: str, field: str) -> None:
        """Prepare what `follow_lwt` reads (a row and its field's write time)."""
        tables = self.tables[entity]
        if tables.copies and (entity, field) not in self.writetimes:
            base = tables.base
            columns = f"{columns_cql(base.columns)}, WRITETIME({columns_cql([field])})"
            query = select_cql(self.keyspace, base, columns, where_equal(base.primary_key))
            self.writetimes[(entity, field)] = self.prepared(query, read=True)

    def follow_lwt(
        self, entity: str, field: str, changed: Sequence[tuple[Sequence[object], object]]
    ) -> None:
        """Bring the copies of rows LWTs changed (each row's key and its `field` before)
        to their committed state, at each LWT's write time (so copies written out of
        order converge). The rows are read concurrently, the copies written so."""
        tables = self.tables[entity]
        if not tables.copies or not changed:
            return
        statement = self.writetimes[(entity, field)]
        try:
            futures = [self.session.execute_async(statement, key) for key, _ in changed]
            found = [future.result().one() for future in futures]
        except Exception as exc:
            raise_translated(exc)
        read = self.by_table[tables.base.name].read
        work: list[Statement] = []
        for row, (_, before) in zip(found, changed, strict=True):
            if row is None:
                continue  # deleted since: the delete took its copies
            now, at = read(row[:-1]), row[-1]
            old = {**now, field: before}
            for table in tables.copies:
                copy = self.by_table[table.name]
                work.append((copy.insert_at, [*copy.bind(now), at]))
                if table.key_of(old) != table.key_of(now):
                    work.append((copy.delete_at, [at, *table.key_of(old)]))
        self.execute_many(work)


def _children(row: Row | None, child: str) -> list[Row]:
    found = row.get(child) if row else None
    return list(found) if isinstance(found, list) else []
