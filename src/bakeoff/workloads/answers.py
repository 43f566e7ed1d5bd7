"""Answers in canonical form, so that engines' answers compare exactly.

The rules (docs/schema-workloads.md): a decimal is compared at its field's scale (sums,
minima and maxima of it too), an average at four decimals; integers and timestamps
(epoch ms) exactly; a missing field equals None; a json value by its members; a row's
children in sequence order; rows in the order the operation defines (find: by key; range:
by the window field, ties by key; grouped aggregates: by group, or by value with `limit`),
so a list is compared in order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Final

from bakeoff.core.schema import (
    EntitySpec,
    FieldSpec,
    FieldType,
    OperationKind,
    OperationSpec,
    Schema,
)

AVERAGE_DECIMALS: Final = 4


def _number(value: object, places: int) -> str | None:
    if value is None:
        return None
    exact = (
        value
        if isinstance(value, Decimal)
        else Decimal(repr(value) if isinstance(value, float) else str(value))
    )
    return str(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN))


def canonical_value(spec: FieldSpec, value: object) -> object:
    if value is None:
        return None
    match spec.type:
        case FieldType.DECIMAL:
            return _number(value, spec.scale)
        case FieldType.INTEGER | FieldType.TIMESTAMP:
            return int(value)  # type: ignore[call-overload]
        case FieldType.BOOLEAN:
            return bool(value)
        case FieldType.JSON:
            loaded = json.loads(value) if isinstance(value, str) else value
            return json.loads(json.dumps(loaded, sort_keys=True, default=str))
        case FieldType.TEXT:
            return str(value)
    raise AssertionError(spec.type)  # pragma: no cover


def canonical_row(schema: Schema, entity: str, row: Mapping[str, object]) -> dict[str, object]:
    spec = schema.entities[entity]
    out: dict[str, object] = {
        name: canonical_value(field, row.get(name)) for name, field in spec.fields.items()
    }
    for child in schema.children_of(entity):
        if child in row:
            children = [canonical_row(schema, child, c) for c in row[child]]  # type: ignore[attr-defined]
            out[child] = sorted(children, key=lambda c: _sequence(schema.entities[child], c))
    return out


def _sequence(child: EntitySpec, row: Mapping[str, object]) -> int:
    number: Any = row[child.sequence_field or ""]
    return int(number)


def _aggregate_value(spec: FieldSpec | None, function: str, value: object) -> object:
    if value is None:
        return None
    if function == "count":
        return int(value)  # type: ignore[call-overload]
    if function == "avg":
        return _number(value, AVERAGE_DECIMALS)
    assert spec is not None
    if spec.type is FieldType.DECIMAL:
        return _number(value, spec.scale)
    return int(value)  # type: ignore[call-overload]


def canonical_answer(  # noqa: PLR0911 - one return per operation kind
    schema: Schema, operation: OperationSpec, answer: object
) -> object:
    """`answer` of `operation` in canonical form (JSON-serialisable)."""
    kind = operation.kind
    entity = operation.entity
    if kind is OperationKind.GET:
        if answer is None:
            return None
        return canonical_row(schema, entity, answer)  # type: ignore[arg-type]
    if kind in (OperationKind.FIND, OperationKind.RANGE):
        return [canonical_row(schema, entity, row) for row in answer]  # type: ignore[attr-defined]
    if kind is OperationKind.AGGREGATE:
        function = operation.function or "count"
        spec = schema.entities[entity].fields.get(operation.field or "")
        if operation.group_by is None:
            return _aggregate_value(spec, function, answer)
        group_spec = schema.entities[entity].fields[operation.group_by.field]
        return [
            {
                "group": canonical_value(group_spec, g["group"]),
                "value": _aggregate_value(spec, function, g["value"]),
            }
            for g in answer  # type: ignore[attr-defined]
        ]
    if kind in (OperationKind.COMPARE_AND_SET, OperationKind.TRANSACTION):
        return bool(answer)
    return None


def checksum(answers: Sequence[Any]) -> str:
    """SHA-256 of canonical answers (stable across processes and engines)."""
    text = json.dumps(list(answers), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
