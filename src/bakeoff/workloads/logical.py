"""The operation mix of a schema workload: named logical operations with their shares.

It answers the same questions as the key-value `OperationMix` (shares, the operations in
use, whether all have a split-phase half), so the harness draws either the same way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final, Self

from pydantic import RootModel, model_validator

from bakeoff.core.schema import (
    EntitySpec,
    FieldType,
    Identifier,
    OperationKind,
    OperationSpec,
    Schema,
)


class LogicalMix(RootModel[dict[Identifier, OperationSpec]]):
    """Named logical operations, each with its `share` of the mix."""

    model_config = {"frozen": True}

    @model_validator(mode="after")
    def _sums_to_one(self) -> Self:
        if not self.root:
            raise ValueError("name at least one operation")
        total = sum(op.share for op in self.root.values())
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ValueError(f"operation shares must sum to 1, they sum to {total:g}")
        return self

    def share(self, operation: str) -> float:
        return self.root[operation].share

    def proportions(self) -> dict[str, float]:
        return {name: op.share for name, op in self.root.items()}

    def active(self) -> list[str]:
        return [name for name, op in self.root.items() if op.share > 0]

    def keeps_its_size(self) -> bool:
        """Whether the data stays as loaded: only reads, updates and compare-and-sets."""
        in_place = (OperationKind.UPDATE, OperationKind.COMPARE_AND_SET)
        return all(op.reads() or op.kind in in_place for op in self.root.values() if op.share)

    def all_split_phase(self) -> bool:
        """Logical operations run on blocking connections only."""
        return False

    def items(self) -> list[tuple[str, OperationSpec]]:
        return list(self.root.items())


def check_operations(schema: Schema, mix: LogicalMix) -> None:
    """Every operation names entities and fields of `schema` that fit its kind
    (ValueError naming the operation and field)."""
    for name, op in mix.items():
        entity = schema.entities.get(op.entity)
        if entity is None:
            known = ", ".join(schema.entities)
            raise _problem(name, f"entity: no entity {op.entity!r} (entities: {known})")
        for what, field in _named_fields(op):
            if field not in entity.fields:
                known = ", ".join(entity.fields)
                raise _problem(name, f"{what}: {op.entity} has no field {field!r} ({known})")
        _check_kind(name, op, schema, entity)


def _problem(operation: str, text: str) -> ValueError:
    # Prefixed by the field's path, which the loader turns into the line it is on.
    return ValueError(f"operations.{operation}.{text}")


def _named_fields(op: OperationSpec) -> list[tuple[str, str]]:
    named = [("field", op.field), ("partition", op.partition)]
    named += [("window.field", op.window.field if op.window else None)]
    named += [("group_by.field", op.group_by.field if op.group_by else None)]
    named += [("set", name) for name in op.set]
    return [(what, field) for what, field in named if field is not None]


def _check_kind(name: str, op: OperationSpec, schema: Schema, entity: EntitySpec) -> None:
    if entity.parent is not None and op.kind not in (OperationKind.AGGREGATE,):
        raise _problem(
            name,
            f"entity: {op.entity} is a child of {entity.parent.entity}; operate on"
            f" {entity.parent.entity} (with_children) instead",
        )
    if op.kind is OperationKind.FIND and op.field not in entity.indexes:
        raise _problem(name, f"field: {op.field!r} is not in {op.entity}.indexes")
    if op.kind in (OperationKind.UPDATE,) and set(op.set) & set(entity.key):
        raise _problem(name, "set: a key field cannot be updated")
    if op.window is not None and entity.fields[op.window.field].type not in (
        FieldType.INTEGER,
        FieldType.TIMESTAMP,
    ):
        raise _problem(name, "window.field: windows are over integer or timestamp fields")
    if op.kind is OperationKind.COMPARE_AND_SET:
        spec = entity.fields[op.field or ""]
        if spec.type is not FieldType.TEXT or not spec.choices:
            raise _problem(name, "field: compare_and_set works on a text field with choices")
    if op.kind is OperationKind.TRANSACTION:
        _check_transaction(name, op, schema)


def _check_transaction(name: str, op: OperationSpec, schema: Schema) -> None:
    decrement = op.decrement
    assert decrement is not None  # OperationSpec checked it
    children = schema.children_of(op.entity)
    if not children:
        raise _problem(name, "entity: a transaction inserts a parent with children")
    child = schema.entities[children[0]]
    stock = schema.entities.get(decrement.entity)
    if stock is None or decrement.field not in stock.fields:
        raise _problem(name, f"decrement: no field {decrement.entity}.{decrement.field}")
    for what in ("by", "via"):
        field = getattr(decrement, what)
        if field not in child.fields:
            raise _problem(name, f"decrement.{what}: {children[0]} has no field {field!r}")
    if child.fields[decrement.via].references != decrement.entity:
        raise _problem(name, f"decrement.via: must reference {decrement.entity}")


KEY_VALUE_ONLY: Final = (
    "table",
    "records",
    "fields",
    "scan_length",
    "read_all_fields",
    "write_all_fields",
    "insert_order",
    "key_prefix",
)
"""Settings of a key-value workload that a schema workload has no use for (left out of
its spec, its hash and `bakeoff workloads show`)."""


def mix_kind(value: object) -> str:
    # A key-value mix maps operations to numbers, a schema workload's to mappings.
    if isinstance(value, dict) and any(isinstance(v, dict) for v in value.values()):
        return "logical"
    if isinstance(value, LogicalMix):
        return "logical"
    return "key_value"


def scaled_entities(entities: Mapping[str, EntitySpec], rows: int) -> dict[str, Any]:
    """`--records` on a schema workload: every root entity's rows scaled so that they add
    up to about `rows` (each keeps at least one), as data to validate again."""
    loaded = sum(e.rows for e in entities.values() if e.parent is None)
    factor = rows / max(loaded, 1)
    return {
        name: {**spec.model_dump(), "rows": max(1, round(spec.rows * factor))}
        if spec.parent is None
        else spec.model_dump()
        for name, spec in entities.items()
    }
