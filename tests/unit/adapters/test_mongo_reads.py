"""The MongoDB models' read compilation: plans, filters, pipelines."""

from __future__ import annotations

from bson.datetime_ms import DatetimeMS

from bakeoff.adapters.mongo_documents import source
from bakeoff.adapters.mongo_reads import aggregate_plan, match_builder, pipeline_head
from bakeoff.core.schema import OperationSpec
from bakeoff.testing.model_conformance import shipped


def _aggregate(**more: object) -> OperationSpec:
    return OperationSpec.model_validate(
        {"kind": "aggregate", "entity": "orders", "share": 1, "field": "total", **more}
    )


def test_what_runs_on_the_server_and_what_on_the_client() -> None:
    assert aggregate_plan(_aggregate(function="sum")).workaround is None
    assert aggregate_plan(_aggregate(function="max")).workaround is None
    grouped = {"group_by": {"field": "status"}}
    assert aggregate_plan(_aggregate(function="sum", limit=3, **grouped)).workaround is None
    assert aggregate_plan(_aggregate(function="max", **grouped)).workaround == "client_aggregate"
    average = aggregate_plan(_aggregate(function="avg", **grouped))
    assert average.workaround is None
    assert "two pipelines" in average.note
    top = _aggregate(function="avg", limit=2, **grouped)
    assert aggregate_plan(top).workaround == "client_aggregate"
    daily = _aggregate(function="sum", group_by={"field": "placed_at", "bucket": 86_400_000})
    assert aggregate_plan(daily).workaround == "client_aggregate"


def test_filters_encode_parameters_as_stored() -> None:
    schema, operations = shipped("orders")
    src = source(schema, "orders", embedded=True)
    match = match_builder(src, dict(operations)["customer_orders"])(
        {"partition": 7, "low": 1, "high": 9}
    )
    assert match == {"customer_id": 7, "placed_at": {"$gte": DatetimeMS(1), "$lt": DatetimeMS(9)}}
    lines = source(schema, "order_lines", embedded=True)
    find = OperationSpec(kind="find", entity="order_lines", field="order_id", share=1)
    assert match_builder(lines, find)({"value": 3}) == {"_id": 3}
    assert pipeline_head(lines, {"_id": 3}) == [
        {"$match": {"_id": 3}},
        {"$unwind": "$order_lines"},
        {"$match": {"_id": 3}},
    ]
    assert pipeline_head(source(schema, "order_lines", embedded=False), {}) == []
