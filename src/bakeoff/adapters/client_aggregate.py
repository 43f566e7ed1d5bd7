"""An aggregate computed by the client over fetched rows, as the contract defines it.

Models use it where the engine has no native way (`OperationPlan.workaround`
"client_aggregate") and to order groups the engine computed; the conformance reference
(`bakeoff.testing.model_reference`) answers every aggregate with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from bakeoff.core.schema import OperationSpec


def reduce_values(function: str, values: Sequence[object]) -> object:
    """count/sum/avg/min/max over one value per row. count counts the rows, None values
    included (as COUNT(*) does); the others skip None, and are None over no values."""
    if function == "count":
        return len(values)
    present: list[Any] = [v for v in values if v is not None]
    if not present:
        return None
    if function == "sum":
        return sum(present)
    if function == "avg":
        # Through str, so a double averages as its shortest repr, as the answers compare it.
        return sum(Decimal(str(v)) for v in present) / len(present)
    return min(present) if function == "min" else max(present)


def ranked_groups(
    op: OperationSpec, groups: Iterable[tuple[Any, object]]
) -> list[dict[str, object]]:
    """(group, value) pairs as answer rows: by group ascending (None first, as MongoDB
    orders it); with `limit`, by value in `order` (None values last, ties by group)."""
    answer = [
        {"group": g, "value": v}
        for g, v in sorted(groups, key=lambda pair: (pair[0] is not None, pair[0]))
    ]
    if op.limit is None:
        return answer
    # A stable sort keeps the group order among equal values, reversed or not.
    present = [a for a in answer if a["value"] is not None]
    present.sort(key=lambda a: a["value"], reverse=op.order == "desc")
    return (present + [a for a in answer if a["value"] is None])[: op.limit]


def aggregate_rows(op: OperationSpec, rows: Iterable[Mapping[str, object]]) -> object:
    """`op`'s function over `rows` (holding at least its field and group field): one
    value, or [{"group", "value"}] when grouped (bucketed when the group says so)."""
    function, field = op.function or "count", op.field
    if op.group_by is None:
        return reduce_values(function, [row.get(field) if field else None for row in rows])
    group_field, bucket = op.group_by.field, op.group_by.bucket
    groups: dict[Any, list[object]] = {}
    for row in rows:
        group: Any = row.get(group_field)
        if group is not None and bucket:
            group = int(group) // bucket * bucket
        groups.setdefault(group, []).append(row.get(field) if field else None)
    return ranked_groups(op, ((g, reduce_values(function, v)) for g, v in groups.items()))
