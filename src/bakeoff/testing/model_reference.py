"""The contract's answers computed in plain Python over rows in memory.

Not an engine: an oracle for the model conformance suite, which checks every data model
against it on a real engine, operation by operation. It follows the table in
`bakeoff.adapters.data_model` literally; aggregates are `client_aggregate.aggregate_rows`,
the code models use for the `client_aggregate` workaround, so for those the suite checks
the rows a model fetches, and the reducers have unit tests of their own.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from bakeoff.adapters.client_aggregate import aggregate_rows
from bakeoff.core.schema import OperationKind, OperationSpec, Row, Schema


class ReferenceStore:
    """Root rows by entity and key, children kept inside their parent as lists."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.rows: dict[str, dict[int, Row]] = {name: {} for name in schema.roots()}

    def load(self, entity: str, rows: Sequence[Row]) -> None:
        for row in rows:
            self.rows[entity][self._key(entity, row)] = copy.deepcopy(dict(row))

    def _key(self, entity: str, row: Mapping[str, object]) -> int:
        value: Any = row[self.schema.entities[entity].key[0]]
        return int(value)

    def all_rows(self, entity: str) -> list[Row]:
        """Every row of `entity`; a child entity's rows gathered from their parents."""
        spec = self.schema.entities[entity]
        if spec.parent is None:
            return [self._bare(entity, r) for _, r in sorted(self.rows[entity].items())]
        gathered: list[Row] = []
        for _, parent in sorted(self.rows[spec.parent.entity].items()):
            gathered.extend(parent.get(entity, []))  # type: ignore[arg-type]
        return gathered

    def _bare(self, entity: str, row: Row) -> Row:
        return {k: v for k, v in row.items() if k in self.schema.entities[entity].fields}

    def answer(self, operation: OperationSpec, params: Mapping[str, Any]) -> object:  # noqa: PLR0911, PLR0912
        """What `operation` returns with `params` (and its effect, for writes)."""
        kind, entity = operation.kind, operation.entity
        table = self.rows.get(entity, {})
        match kind:
            case OperationKind.GET:
                row = table.get(params["key"])
                if row is None:
                    return None
                found = self._bare(entity, row)
                if operation.with_children:
                    for child in self.schema.children_of(entity):
                        found[child] = copy.deepcopy(row.get(child, []))
                return found
            case OperationKind.FIND:
                hits = [
                    r for r in self.all_rows(entity) if r[operation.field or ""] == params["value"]
                ]
                return hits[: operation.limit] if operation.limit else hits
            case OperationKind.RANGE:
                return self._range(operation, params)
            case OperationKind.AGGREGATE:
                return self._aggregate(operation, params)
            case OperationKind.INSERT | OperationKind.UPSERT:
                self.load(entity, params["rows"])
                return None
            case OperationKind.UPDATE:
                if params["key"] in table:
                    table[params["key"]].update(params["values"])
                return None
            case OperationKind.DELETE:
                table.pop(params["key"], None)
                return None
            case OperationKind.COMPARE_AND_SET:
                row = table.get(params["key"])
                field = operation.field or ""
                if row is None or row[field] != operation.expect:
                    return False
                row[field] = operation.to
                return True
            case OperationKind.TRANSACTION:
                return self._transaction(operation, params["row"])
        raise AssertionError(kind)  # pragma: no cover

    def _selected(self, operation: OperationSpec, params: Mapping[str, Any]) -> list[Row]:
        rows = self.all_rows(operation.entity)
        if operation.partition:
            rows = [r for r in rows if r[operation.partition] == params["partition"]]
        if operation.window:
            field, low, high = operation.window.field, params["low"], params["high"]
            rows = [r for r in rows if low <= r[field] < high]
        return rows

    def _range(self, operation: OperationSpec, params: Mapping[str, Any]) -> list[Row]:
        assert operation.window is not None
        field = operation.window.field
        key = self.schema.entities[operation.entity].key
        rows = self._selected(operation, params)
        rows.sort(key=lambda r: tuple(r[k] for k in key))
        rows.sort(key=lambda r: r[field], reverse=operation.order == "desc")  # type: ignore[arg-type, return-value]
        return rows[: operation.limit] if operation.limit else rows

    def _aggregate(self, operation: OperationSpec, params: Mapping[str, Any]) -> object:
        return aggregate_rows(operation, self._selected(operation, params))

    def _transaction(self, operation: OperationSpec, row: Row) -> bool:
        decrement = operation.decrement
        assert decrement is not None
        child = self.schema.children_of(operation.entity)[0]
        stock = self.rows[decrement.entity]
        needed: dict[int, int] = {}
        for line in row[child]:  # type: ignore[attr-defined]
            needed[line[decrement.via]] = needed.get(line[decrement.via], 0) + line[decrement.by]
        if any(k not in stock or stock[k][decrement.field] < n for k, n in needed.items()):  # type: ignore[operator]
            return False
        for k, n in needed.items():
            stock[k][decrement.field] -= n  # type: ignore[operator]
        self.load(operation.entity, [row])
        return True
