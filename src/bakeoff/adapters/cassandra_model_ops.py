"""The write operations of the Cassandra data model, compiled for one connection: insert,
upsert, update, delete, compare-and-set and the stock transaction (see
`bakeoff.adapters.cassandra_query_plan` for what each guarantees, as `plan` reports it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from bakeoff.adapters.cassandra_cql import identifier
from bakeoff.adapters.cassandra_model_writes import CAS_ATTEMPTS, CqlTables, Statement, key_tuple
from bakeoff.adapters.cassandra_query_tables import parse_literal, qualified, where_equal
from bakeoff.adapters.cassandra_session import raise_translated
from bakeoff.adapters.data_model import Prepared
from bakeoff.adapters.errors import TransientError
from bakeoff.adapters.model_plans import transaction_child
from bakeoff.core.schema import OperationKind, OperationSpec, Parameters, Row


def _rows(params: Parameters) -> list[Row]:
    rows = params["rows"]
    assert isinstance(rows, list)
    return rows


def insert(cql: CqlTables, op: OperationSpec) -> Prepared:
    entity, ttl = op.entity, op.ttl_s

    def run(params: Parameters) -> None:
        batches = [cql.with_children(entity, None, row, ttl) for row in _rows(params)]
        _write_rows(cql, batches)

    return run


def upsert(cql: CqlTables, op: OperationSpec) -> Prepared:
    entity, ttl = op.entity, op.ttl_s
    key_field = cql.tables[entity].spec.key

    def run(params: Parameters) -> None:
        batches = []
        for row in _rows(params):
            old = cql.read_with_children(entity, [row[k] for k in key_field])
            batches.append(cql.with_children(entity, old, row, ttl))
        _write_rows(cql, batches)

    return run


def _write_rows(cql: CqlTables, batches: Sequence[list[Statement]]) -> None:
    if len(batches) == 1:
        cql.execute_together(batches[0])
    else:
        cql.execute_many(cql.batch(b) for b in batches)


def update(cql: CqlTables, op: OperationSpec) -> Prepared:
    entity = op.entity

    def run(params: Parameters) -> None:
        values = params["values"]
        assert isinstance(values, dict)
        old = cql.read_row(entity, key_tuple(params["key"]))
        if old is not None:
            cql.execute_together(cql.copies(entity, old, {**old, **values}))

    return run


def delete(cql: CqlTables, op: OperationSpec) -> Prepared:
    entity = op.entity
    children = cql.schema.children_of(entity)
    # A child's copies are found only by reading the children first.
    read_children = any(cql.tables[c].copies for c in children)

    def run(params: Parameters) -> None:
        key = key_tuple(params["key"])
        old = (cql.read_with_children if read_children else cql.read_row)(entity, key)
        if old is not None:
            cql.execute_together(cql.with_children(entity, old, None))

    return run


def _cas_statement(cql: CqlTables, entity: str, field: str) -> Any:
    base = cql.tables[entity].base
    name = identifier(field, "field")
    query = (
        f"UPDATE {qualified(cql.keyspace, base.name)} SET {name} = ? "
        f"WHERE {where_equal(base.primary_key)} IF {name} = ?"
    )
    cql.prepare_follow(entity, field)
    return cql.prepared(query, read=False)


def compare_and_set(cql: CqlTables, op: OperationSpec) -> Prepared:
    entity, field = op.entity, op.field
    assert field is not None and op.expect is not None and op.to is not None
    spec = cql.tables[entity].spec
    expect, to = parse_literal(spec, field, op.expect), parse_literal(spec, field, op.to)
    statement = _cas_statement(cql, entity, field)

    def run(params: Parameters) -> bool:
        key = key_tuple(params["key"])
        applied = bool(cql.execute(statement, (to, *key, expect)).one()[0])
        if applied:
            cql.follow_lwt(entity, field, [(key, expect)])
        return applied

    return run


class _Stock:
    """Decrements of one stock field by lightweight transactions."""

    def __init__(self, cql: CqlTables, entity: str, field: str) -> None:
        self.cql, self.entity, self.field = cql, entity, field
        base = cql.tables[entity].base
        read = f"SELECT {identifier(field, 'field')} FROM {qualified(cql.keyspace, base.name)}"
        self.read = cql.prepared(f"{read} WHERE {where_equal(base.primary_key)}", read=True)
        self.cas = _cas_statement(cql, entity, field)

    def take(self, wanted: Mapping[Any, Any], done: list[tuple[Any, Any, object]]) -> bool:
        """Decrement each key's stock by its amount, all keys concurrently, each by a
        compare-and-set retried on conflict; every applied one is appended to `done`
        as (key, amount, stock before). False as soon as a stock would go negative (or a
        row is missing): the caller undoes `done`."""
        keys = sorted(wanted)
        try:
            reads = [self.cql.session.execute_async(self.read, (k,)) for k in keys]
            found = [future.result().one() for future in reads]
        except Exception as exc:
            raise_translated(exc)
        current = {k: None if row is None else row[0] for k, row in zip(keys, found, strict=True)}
        pending = keys
        for _ in range(CAS_ATTEMPTS):
            if any(current[k] is None or current[k] < wanted[k] for k in pending):
                return False
            sent = [
                (
                    k,
                    self.cql.session.execute_async(
                        self.cas, (current[k] - wanted[k], k, current[k])
                    ),
                )
                for k in pending
            ]
            failure: Exception | None = None
            pending = []
            for key, future in sent:
                try:
                    row = future.result().one()
                except Exception as exc:  # the others' outcomes are still collected
                    failure = failure or exc
                    continue
                if row[0]:
                    done.append((key, wanted[key], current[key]))
                else:
                    current[key] = row[1] if len(row) > 1 else None
                    pending.append(key)
            if failure is not None:
                raise_translated(failure)
            if not pending:
                return True
        raise TransientError(f"{self.entity}: stock still contended after {CAS_ATTEMPTS} tries")

    def give_back(self, key: object, amount: Any) -> None:
        """Add `amount` back to a row's stock (undoing a decrement), by compare-and-set."""
        found = self.cql.execute(self.read, (key,)).one()
        current = None if found is None else found[0]
        for _ in range(CAS_ATTEMPTS):
            if current is None:
                return  # deleted since: nothing to give back to
            row = self.cql.execute(self.cas, (current + amount, key, current)).one()
            if row[0]:
                return
            current = row[1] if len(row) > 1 else None
        raise TransientError(
            f"{self.entity} {key}: stock still contended after {CAS_ATTEMPTS} tries"
        )

    def follow(self, changed: Sequence[tuple[object, object]]) -> None:
        """Bring the copies of the rows decremented (key, stock before) up to date."""
        self.cql.follow_lwt(self.entity, self.field, [((k,), b) for k, b in changed])


def transaction(cql: CqlTables, op: OperationSpec) -> Prepared:
    decrement = op.decrement
    assert decrement is not None
    entity = op.entity
    child = transaction_child(cql.schema, op)
    stock = _Stock(cql, decrement.entity, decrement.field)
    via, by = decrement.via, decrement.by

    def run(params: Parameters) -> bool:
        row = params["row"]
        assert isinstance(row, dict)
        wanted: dict[Any, Any] = defaultdict(int)
        for line in row.get(child) or ():
            wanted[line[via]] += line[by]
        done: list[tuple[Any, Any, object]] = []
        try:
            if not stock.take(wanted, done):
                _undo(stock, done)
                return False
            cql.execute_together(cql.with_children(entity, None, row))
        except Exception as exc:
            if not _logged(exc):
                _undo(stock, done)
            raise
        stock.follow([(key, before) for key, _, before in done])
        return True

    return run


def _undo(stock: _Stock, done: list[tuple[Any, Any, object]]) -> None:
    while done:
        key, amount, _ = done.pop()
        stock.give_back(key, amount)


def _logged(exc: BaseException) -> bool:
    """Whether a failed logged batch reached the batchlog (it will still be applied, so
    the stock it paid for stays decremented)."""
    from cassandra import WriteTimeout, WriteType

    cause = exc.__cause__ or exc
    return isinstance(cause, WriteTimeout) and cause.write_type == WriteType.BATCH


WRITERS = {
    OperationKind.INSERT: insert,
    OperationKind.UPSERT: upsert,
    OperationKind.UPDATE: update,
    OperationKind.DELETE: delete,
    OperationKind.COMPARE_AND_SET: compare_and_set,
    OperationKind.TRANSACTION: transaction,
}
