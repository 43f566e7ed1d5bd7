"""The SQL data models' plans, layouts and registration (no engine needed; their answers
are checked on real engines in tests/conformance/test_sql_model_conformance.py)."""

from __future__ import annotations

import pytest

from bakeoff.adapters.data_model import DataModel, OperationPlan, UnsupportedOperationError
from bakeoff.adapters.errors import FatalError
from bakeoff.adapters.model_registry import MODELS
from bakeoff.adapters.sql_jsonb import JsonbModel
from bakeoff.adapters.sql_models import NormalisedModel
from bakeoff.adapters.sql_tables import index_columns
from bakeoff.core.schema import OperationKind, OperationSpec, Schema
from bakeoff.testing.model_conformance import shipped

MODELS_UNDER_TEST = [NormalisedModel, JsonbModel]

EVERY_TYPE = Schema.model_validate(
    {
        "entities": {
            "things": {
                "key": ["thing_id"],
                "rows": 3,
                "fields": {
                    "thing_id": "integer",
                    "at": "timestamp",
                    "ok": "boolean",
                    "meta": "json",
                    "price": {"type": "decimal", "scale": 3},
                    "label": {"type": "text", "choices": ["a", "a-much-longer-choice"]},
                },
                "indexes": ["ok", "label"],
                "ordering": "at",
            }
        }
    }
)


def test_the_models_are_registered_for_their_adapters() -> None:
    assert MODELS.model_class("sql", None) is NormalisedModel
    assert MODELS.model_class("postgres", None) is NormalisedModel
    assert MODELS.model_class("postgres", "jsonb") is JsonbModel
    assert "jsonb" not in MODELS.models_for("sql")


@pytest.mark.parametrize("model", MODELS_UNDER_TEST)
def test_each_model_is_a_data_model(model: type[DataModel]) -> None:
    assert isinstance(model(), DataModel)


@pytest.mark.parametrize("model", MODELS_UNDER_TEST)
def test_rows_that_expire_are_refused_before_the_run(model: type[DataModel]) -> None:
    expiring = OperationSpec(kind=OperationKind.INSERT, entity="readings", share=1, ttl_s=60)
    schema, _ = shipped("timeseries")
    with pytest.raises(UnsupportedOperationError, match="TTL"):
        model.plan(schema, "ingest", expiring)


@pytest.mark.parametrize("model", MODELS_UNDER_TEST)
@pytest.mark.parametrize("kind", [OperationKind.GET, OperationKind.UPDATE, OperationKind.DELETE])
def test_a_child_is_not_addressed_by_key(model: type[DataModel], kind: OperationKind) -> None:
    schema, _ = shipped("orders")
    values = {"set": ("quantity",)} if kind is OperationKind.UPDATE else {}
    operation = OperationSpec(kind=kind, entity="order_lines", share=1, **values)
    with pytest.raises(UnsupportedOperationError, match="through its parent 'orders'"):
        model.plan(schema, "line", operation)


@pytest.mark.parametrize("model", MODELS_UNDER_TEST)
@pytest.mark.parametrize("workload", ["orders", "timeseries"])
def test_every_shipped_operation_runs_natively(model: type[DataModel], workload: str) -> None:
    schema, operations = shipped(workload)
    for name, operation in operations:
        assert model.plan(schema, name, operation) == OperationPlan(), name


def test_the_normalised_layout_has_typed_columns_keys_and_indexes() -> None:
    layout = "\n".join(NormalisedModel.layout(shipped("orders")[0]))
    assert 'PRIMARY KEY ("order_id", "line_no")' in layout
    assert '"placed_at" BIGINT' in layout  # epoch milliseconds
    assert '"total" NUMERIC(18, 2)' in layout
    assert (
        'CREATE INDEX ix_orders_customer_id_placed_at ON "orders" ("customer_id", "placed_at")'
        in layout
    )
    assert 'CREATE INDEX ix_orders_status ON "orders" ("status")' in layout


def test_the_normalised_layout_writes_every_field_type() -> None:
    layout = "\n".join(NormalisedModel.layout(EVERY_TYPE))
    assert '"meta" JSON' in layout
    assert '"ok" BOOLEAN' in layout
    assert '"label" VARCHAR(20)' in layout  # the longest choice
    assert '"price" NUMERIC(18, 3)' in layout


def test_the_jsonb_layout_indexes_the_typed_members() -> None:
    layout = "\n".join(JsonbModel.layout(shipped("orders")[0]))
    assert "order_lines" not in layout  # embedded in the orders' documents
    assert (
        "CREATE INDEX ix_orders_doc_customer_id_placed_at ON orders_doc"
        " (CAST(doc ->> 'customer_id' AS BIGINT), CAST(doc ->> 'placed_at' AS BIGINT))"
    ) in layout
    assert "CREATE INDEX ix_orders_doc_status ON orders_doc (CAST(doc ->> 'status' AS TEXT))" in (
        layout
    )


def test_indexes_cover_lookups_and_ordered_ranges() -> None:
    schema, _ = shipped("orders")
    assert index_columns(schema.entities["orders"]) == [("status",), ("customer_id", "placed_at")]
    assert index_columns(EVERY_TYPE.entities["things"]) == [("ok",), ("label",), ("at",)]


@pytest.mark.parametrize("model", MODELS_UNDER_TEST)
def test_json_values_are_not_compared(model: type[DataModel]) -> None:
    find = OperationSpec(kind=OperationKind.FIND, entity="things", field="meta", share=1)
    with pytest.raises(UnsupportedOperationError, match="json field 'meta'"):
        model.plan(EVERY_TYPE, "by_meta", find)


@pytest.mark.parametrize("model", MODELS_UNDER_TEST)
def test_operating_before_setup_is_fatal(model: type[DataModel]) -> None:
    operation = OperationSpec(kind=OperationKind.GET, entity="orders", share=1)
    with pytest.raises(FatalError, match=r"call setup\(\) first"):
        model().prepare("get", operation)
