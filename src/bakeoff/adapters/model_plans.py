"""Plan rules every data model shares (`DataModel.plan`)."""

from __future__ import annotations

from bakeoff.adapters.data_model import UnsupportedOperationError
from bakeoff.core.schema import OperationKind, OperationSpec, Schema

WRITES_BY_KEY = frozenset(
    {
        OperationKind.INSERT,
        OperationKind.UPSERT,
        OperationKind.UPDATE,
        OperationKind.DELETE,
        OperationKind.COMPARE_AND_SET,
        OperationKind.TRANSACTION,
    }
)
"""Operations that write one row addressed by its key."""
BY_KEY = WRITES_BY_KEY | {OperationKind.GET}
"""Operations addressed to one row by its key."""


def refuse_child_by_key(
    schema: Schema, operation: OperationSpec, kinds: frozenset[OperationKind] = BY_KEY
) -> None:
    """Refuse `kinds` on a child entity: its rows are read, found and aggregated on their
    own, but written (and, unless `kinds` leaves out get, fetched) through their parent."""
    parent = schema.entities[operation.entity].parent
    if parent is not None and operation.kind in kinds:
        raise UnsupportedOperationError(
            f"{operation.kind} on {operation.entity!r}: a child entity's rows are read, found"
            f" and aggregated, but written and fetched with their {parent.entity} row"
            f" (through its parent {parent.entity!r})"
        )


def transaction_child(schema: Schema, operation: OperationSpec) -> str:
    """The child entity of a transaction's row that carries the decrement's `via` and
    `by`; refuses a stock that is not a field of a root entity."""
    decrement = operation.decrement
    assert decrement is not None
    stock = schema.entities.get(decrement.entity)
    if stock is None or stock.parent is not None or decrement.field not in stock.fields:
        raise UnsupportedOperationError(
            f"the stock {decrement.entity}.{decrement.field} must be a field of a root entity"
        )
    for child in schema.children_of(operation.entity):
        if {decrement.via, decrement.by} <= set(schema.entities[child].fields):
            return child
    raise UnsupportedOperationError(
        f"no child of {operation.entity} has both {decrement.via!r} and {decrement.by!r}"
    )
