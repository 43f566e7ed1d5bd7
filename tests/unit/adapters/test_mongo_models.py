"""The MongoDB data models' declarations: registration, plans and layouts (no server)."""

from __future__ import annotations

import pytest

from bakeoff.adapters.data_model import DataModel, UnsupportedOperationError
from bakeoff.adapters.model_registry import MODELS
from bakeoff.adapters.mongo_models import EmbeddedModel, ReferencedModel
from bakeoff.core.schema import OperationSpec, Schema
from bakeoff.testing.model_conformance import shipped

MODEL_CLASSES = [EmbeddedModel, ReferencedModel]


def _orders() -> tuple[Schema, dict[str, OperationSpec]]:
    schema, operations = shipped("orders")
    return schema, dict(operations)


@pytest.mark.parametrize("model_class", MODEL_CLASSES, ids=lambda m: m.name)
def test_registered_under_the_mongo_adapter(model_class: type[DataModel]) -> None:
    assert isinstance(model_class(), DataModel)
    assert MODELS.model_class("mongo", model_class.name) is model_class
    assert MODELS.model_class("mongo", None) is EmbeddedModel


@pytest.mark.parametrize("model_class", MODEL_CLASSES, ids=lambda m: m.name)
def test_plan_refuses_ttl_and_child_writes(model_class: type[DataModel]) -> None:
    schema, operations = _orders()
    ttl = OperationSpec(kind="insert", entity="orders", share=1, ttl_s=60)
    with pytest.raises(UnsupportedOperationError, match="TTL"):
        model_class.plan(schema, "expiring", ttl)
    child = OperationSpec(kind="update", entity="order_lines", share=1, set=("quantity",))
    with pytest.raises(UnsupportedOperationError, match="with their orders row"):
        model_class.plan(schema, "line_update", child)
    assert model_class.plan(schema, "place_order", operations["place_order"]).note.startswith(
        "not atomic"
    )


@pytest.mark.parametrize("model_class", MODEL_CLASSES, ids=lambda m: m.name)
def test_shipped_plans_label_the_client_side_aggregates(model_class: type[DataModel]) -> None:
    schema, operations = _orders()
    plans = {name: model_class.plan(schema, name, op) for name, op in operations.items()}
    workarounds = {name: plan.workaround for name, plan in plans.items() if plan.workaround}
    assert workarounds == {"revenue_per_day": "client_aggregate"}  # bucketed by day
    for name, plan in plans.items():
        assert plan.workaround is None or plan.workaround in operations[name].allow


def test_insert_with_children_is_not_atomic_only_when_referenced() -> None:
    schema, _ = _orders()
    insert = OperationSpec(kind="insert", entity="orders", share=1)
    assert EmbeddedModel.plan(schema, "i", insert).note == ""
    assert ReferencedModel.plan(schema, "i", insert).note == "not atomic: orders, then order_lines"


def test_layouts() -> None:
    schema, _ = _orders()
    embedded = EmbeddedModel.layout(schema)
    assert (
        "db.orders: {_id: order_id (int64), customer_id: int64, placed_at: date, status: string,"
        " total: double, order_lines: [{line_no: int64, product_id: int64, quantity: int64,"
        " price: double}]}"
    ) in embedded
    assert "db.orders.createIndex({customer_id: 1, placed_at: 1})" in embedded
    assert not any(line.startswith("db.order_lines") for line in embedded)
    referenced = ReferencedModel.layout(schema)
    assert "db.order_lines.createIndex({order_id: 1, line_no: 1}, {unique: true})" in referenced
    assert referenced[-1].startswith("// decimals are doubles")
