"""A schema workload's stream: each call is the data model's prepared operation, with the
answer that means not found (a get's None; nothing else counts as not found)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bakeoff.core.operations import ALWAYS_FOUND
from bakeoff.core.schema import OperationKind
from bakeoff.harness.schema_stream import SchemaStream
from bakeoff.workloads.loader import load_workload

REPO = Path(__file__).resolve().parents[3]


class _PreparingModel:
    """Records what the stream prepares; each prepared call names its operation."""

    def __init__(self) -> None:
        self.prepared: list[str] = []

    def prepare(self, name: str, operation: object) -> Any:
        self.prepared.append(name)

        def call(parameters: object) -> str:
            return name

        return call


def test_calls_are_prepared_once_and_carry_their_not_found_answer() -> None:
    workload = load_workload(REPO / "workloads" / "orders.yaml")
    stream = SchemaStream(workload, connection=0, connections=1, expected_operations=100)
    model = _PreparingModel()
    op_indexes, calls, arguments = stream.next_chunk(model, 64)
    stream.next_chunk(model, 64)
    assert sorted(model.prepared) == sorted(stream.operations)  # once per operation
    kinds = {name: spec.kind for name, spec in workload.operations.items()}  # type: ignore[union-attr]
    for index, (call, not_found), args in zip(op_indexes, calls, arguments, strict=True):
        name = stream.operations[index]
        assert call(*args) == name
        expected = None if kinds[name] is OperationKind.GET else ALWAYS_FOUND
        assert not_found is expected
    assert any(kinds[stream.operations[i]] is OperationKind.GET for i in op_indexes)
