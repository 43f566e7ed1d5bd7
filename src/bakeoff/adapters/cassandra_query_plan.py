"""How the Cassandra data model reads: which query table serves a find, a range or an
aggregate, which conditions the server can apply natively, and what is left to ALLOW
FILTERING or to the client. Pure: decided from the schema and the operation alone, so
`plan` (before a run) and `prepare` (on each connection) agree.

Native in CQL: equality on a table's partition column, a slice of its first clustering
column within one partition, aggregate functions over the rows so restricted, GROUP BY
the partition column or (within one partition) the first clustering column. Everything
else is a workaround the workload must allow: "filtering" (the server reads and drops
rows: ALLOW FILTERING) or "client_aggregate" (the client reads the rows in scope and
aggregates them: time buckets, groups on a non-key field, a top-N by value).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from bakeoff.adapters.cassandra_query_tables import EntityTables, QueryTable, entity_tables
from bakeoff.adapters.data_model import OperationPlan, UnsupportedOperationError
from bakeoff.adapters.model_plans import transaction_child
from bakeoff.core.schema import OperationKind, OperationSpec, Schema

FILTERING: Final = "filtering"
CLIENT_AGGREGATE: Final = "client_aggregate"


@dataclass(frozen=True)
class Condition:
    """`column` = the parameter `param`, or (a window) `low` <= column < `high`."""

    column: str
    kind: Literal["equal", "window"]
    param: str = ""


@dataclass(frozen=True)
class ReadPath:
    """Where a read's rows come from and what is done where."""

    table: QueryTable
    server: tuple[Condition, ...]
    """Conditions in the WHERE clause."""
    client: tuple[Condition, ...] = ()
    """Conditions the client applies to the rows it reads."""
    filtering: bool = False
    """The WHERE clause needs ALLOW FILTERING."""
    ordered: bool = False
    """Rows come back in the answer's order (key; or window field, then key)."""
    group: Literal["none", "server", "client"] = "none"
    workaround: str | None = None
    note: str = ""


def _native(table: QueryTable, condition: Condition, partition_bound: bool) -> bool:
    if condition.kind == "equal":
        return condition.column == table.partition
    return partition_bound and table.clustering[:1] == (condition.column,)


def _scope(
    tables: EntityTables, op: OperationSpec, extra: tuple[Condition, ...] = ()
) -> tuple[QueryTable, list[Condition], list[Condition]]:
    """The best table for the op's partition and window, with its native and other
    conditions."""
    conditions = list(extra)
    if op.partition:
        conditions.append(Condition(op.partition, "equal", "partition"))
    if op.window:
        conditions.append(Condition(op.window.field, "window"))
    equal = [c.column for c in conditions if c.kind == "equal"]
    window = op.window.field if op.window else None

    def score(table: QueryTable) -> tuple[bool, bool, bool]:
        bound = table.partition in equal
        sliced = bound and window is not None and table.clustering[:1] == (window,)
        key_order = table.clustering == tuple(k for k in tables.spec.key if k != table.partition)
        return bound, sliced, key_order

    table = max(tables.all, key=score)  # max keeps the first best: the base table on ties
    bound = table.partition in equal
    native = [c for c in conditions if _native(table, c, bound)]
    other = [c for c in conditions if c not in native]
    return table, native, other


def find_path(tables: EntityTables, op: OperationSpec) -> ReadPath:
    assert op.field is not None
    table, native, other = _scope(tables, op, (Condition(op.field, "equal", "value"),))
    key_order = tuple(k for k in tables.spec.key if k != table.partition)
    if not other:
        ordered = table.clustering == key_order
        note = f"one {op.field} partition of {table.name}"
        note += ", in key order" if ordered else ", read whole and sorted by key in the client"
        return ReadPath(table, tuple(native), ordered=ordered, note=note)
    return ReadPath(
        table,
        (*native, *other),
        filtering=True,
        workaround=FILTERING,
        note=f"ALLOW FILTERING on {table.name} by {op.field}, sorted by key in the client",
    )


def range_path(tables: EntityTables, op: OperationSpec) -> ReadPath:
    assert op.window is not None
    table, native, other = _scope(tables, op)
    if not other:
        note = f"a slice of a {table.partition} partition of {table.name}"
        if op.order == "desc":
            note += "; ties at the limit re-read and ordered by key"
        return ReadPath(table, tuple(native), ordered=True, note=note)
    return ReadPath(
        table,
        (*native, *other),
        filtering=True,
        workaround=FILTERING,
        note=f"ALLOW FILTERING on {table.name} over {op.window.field}, ordered in the client",
    )


def aggregate_path(tables: EntityTables, op: OperationSpec) -> ReadPath:
    group = op.group_by
    table, native, other = _scope(tables, op)
    bound = any(c.kind == "equal" for c in native)
    if group and group.bucket is None and not other:
        if not bound and op.window is None:
            # GROUP BY a partition column, over the whole table.
            for candidate in tables.partitioned_by(group.field):
                note = f"GROUP BY {group.field} on {candidate.name}"
                return ReadPath(candidate, (), group="server", note=note)
        if bound and group.field in (table.partition, *table.clustering[:1]):
            note = f"GROUP BY {group.field} within a partition of {table.name}"
            return ReadPath(table, tuple(native), group="server", note=note)
    if group is None and not other:
        scope = "one partition of" if bound else "all of (a full scan)"
        return ReadPath(table, tuple(native), note=f"aggregate over {scope} {table.name}")
    if group is None and (FILTERING in op.allow or CLIENT_AGGREGATE not in op.allow):
        return ReadPath(
            table,
            (*native, *other),
            filtering=True,
            workaround=FILTERING,
            note=f"aggregate with ALLOW FILTERING on {table.name}",
        )
    if group and group.bucket:
        why = f"{group.field} in buckets of {group.bucket}: CQL groups by key columns only"
    elif group:
        why = f"by {group.field}: CQL groups by key columns only"
    else:
        why = "the window is not a slice of one partition"
    return ReadPath(
        table,
        tuple(native),
        client=tuple(other),
        group="client" if group else "none",
        workaround=CLIENT_AGGREGATE,
        note=(
            f"computed by the client over {'one partition of' if bound else 'all of'} "
            f"{table.name} ({why})"
        ),
    )


READERS: Final = {
    OperationKind.FIND: find_path,
    OperationKind.RANGE: range_path,
    OperationKind.AGGREGATE: aggregate_path,
}


def read_path(tables: dict[str, EntityTables], op: OperationSpec) -> ReadPath:
    return READERS[op.kind](tables[op.entity], op)


def check_transaction(schema: Schema, op: OperationSpec) -> str:
    """`transaction_child`, and a stock found by one key field (a lightweight transaction
    updates one row by its primary key)."""
    child = transaction_child(schema, op)
    assert op.decrement is not None
    if len(schema.entities[op.decrement.entity].key) != 1:
        raise UnsupportedOperationError(f"{op.decrement.entity} is not found by one key field")
    return child


_WRITES: Final = {
    OperationKind.GET: "",
    OperationKind.INSERT: "a logged batch per row over its tables and its children's",
    OperationKind.UPSERT: (
        "reads the row first, then a logged batch writing every table and deleting the "
        "copies it moves away from (not isolated from a concurrent write of the same row)"
    ),
    OperationKind.UPDATE: (
        "reads the row first, then a logged batch rewriting every table's copy (not "
        "isolated from a concurrent write of the same row: a copy may keep a stale entry)"
    ),
    OperationKind.DELETE: "reads the row first, then a logged batch over every table",
    OperationKind.COMPARE_AND_SET: (
        "a lightweight transaction (UPDATE ... IF field = expect) on the table by key; "
        "the other tables' copies follow at the LWT's write time (eventually consistent)"
    ),
    OperationKind.TRANSACTION: (
        "not one atomic unit (Cassandra has no multi-partition transactions): each stock "
        "decrement is its own lightweight transaction (IF stock = read value, retried), "
        "so no stock goes negative and no decrement is lost; when one would go negative "
        "the done ones are compensated (others may see the stock dip meanwhile) and "
        "False is returned; then the row and its children are written in one logged "
        "batch (atomic, eventually complete)"
    ),
}


def plan_operation(schema: Schema, op: OperationSpec) -> OperationPlan:
    """How the model runs `op`; raises UnsupportedOperationError when it cannot."""
    _field_check(schema, op)
    spec = schema.entities[op.entity]
    if op.kind in READERS:
        tables = entity_tables(schema)
        path = read_path(tables, op)
        note = path.note
        if op.kind is OperationKind.AGGREGATE and op.group_by and op.limit:
            note += "; groups ordered by value and cut in the client"
        return OperationPlan(workaround=path.workaround, note=note)
    if op.kind in (OperationKind.UPDATE, OperationKind.COMPARE_AND_SET):
        changed = [*op.set, *([op.field] if op.field else [])]
        keyed = [f for f in changed if f in spec.key]
        if keyed:
            raise UnsupportedOperationError(
                f"{op.entity}.{keyed[0]} is part of the key: Cassandra cannot change a "
                "primary key in place"
            )
    if op.kind is OperationKind.TRANSACTION:
        check_transaction(schema, op)
    note = _WRITES[op.kind]
    if op.kind is OperationKind.INSERT and op.ttl_s:
        note += f"; every table written USING TTL {op.ttl_s}"
    if op.kind is OperationKind.GET and op.with_children:
        note = "the row and its children's partition, read in parallel"
    return OperationPlan(note=note)


def _field_check(schema: Schema, op: OperationSpec) -> None:
    if op.entity not in schema.entities:
        raise UnsupportedOperationError(f"no entity {op.entity!r}")
    fields = schema.entities[op.entity].fields
    named = [op.field, op.partition, op.window.field if op.window else None, *op.set]
    named.append(op.group_by.field if op.group_by else None)
    unknown = [n for n in named if n and n not in fields]
    if unknown:
        raise UnsupportedOperationError(f"{op.entity} has no field {unknown[0]!r}")
