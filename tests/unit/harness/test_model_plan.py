"""A schema workload's operations are checked against each data model's plan before the
run: what a model cannot do, or does only by a workaround the workload does not allow,
is refused naming workload, engine, model and operation."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest

from bakeoff.adapters.data_model import OperationPlan, UnsupportedOperationError
from bakeoff.core.schema import OperationKind, OperationSpec, Schema
from bakeoff.harness.model_plan import ModelPlanError, check_models, describe_model
from bakeoff.workloads.loader import load_workload

ORDERS = load_workload(Path(__file__).resolve().parents[3] / "workloads" / "orders.yaml")


class _Planner:
    """Only the class-level half of a data model: what `plan` and `layout` answer."""

    name: ClassVar[str] = "planner"
    description: ClassVar[str] = "plans only"
    refuses: ClassVar[frozenset[OperationKind]] = frozenset()
    workaround: ClassVar[str | None] = None

    @classmethod
    def plan(cls, schema: Schema, name: str, operation: OperationSpec) -> OperationPlan:
        if operation.kind in cls.refuses:
            raise UnsupportedOperationError("no multi-row transactions")
        if operation.kind is OperationKind.AGGREGATE and cls.workaround:
            return OperationPlan(workaround=cls.workaround, note="computed by the client")
        return OperationPlan()

    @classmethod
    def layout(cls, schema: Schema) -> list[str]:
        return ["CREATE TABLE orders (...)"]


def test_an_operation_the_model_refuses_names_engine_model_and_operation() -> None:
    class Refusing(_Planner):
        refuses = frozenset({OperationKind.TRANSACTION})

    with pytest.raises(ModelPlanError) as refused:
        check_models(ORDERS, "cassandra", [Refusing])  # type: ignore[list-item]
    assert str(refused.value) == (
        "workload 'orders': engine 'cassandra' under data model 'planner' cannot run"
        " operation 'place_order': no multi-row transactions"
    )


def test_a_workaround_runs_only_where_the_workload_allows_it() -> None:
    class Filtering(_Planner):
        workaround = "filtering"

    class ClientSide(_Planner):
        workaround = "client_aggregate"

    with pytest.raises(ModelPlanError, match=r"allow: \[filtering\]"):
        check_models(ORDERS, "cassandra", [Filtering])  # type: ignore[list-item]
    check_models(ORDERS, "cassandra", [ClientSide])  # type: ignore[list-item]
    described: dict[str, Any] = describe_model(ORDERS, ClientSide)  # type: ignore[arg-type]
    assert described["workarounds"]["revenue_per_day"] == {
        "kind": "client_aggregate",
        "note": "computed by the client",
    }
    assert described["layout"] == ["CREATE TABLE orders (...)"]


def test_an_engine_without_a_model_cannot_run_a_schema_workload() -> None:
    with pytest.raises(ModelPlanError, match="has no data model"):
        check_models(ORDERS, "memcached", [])
