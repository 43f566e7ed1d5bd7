"""What the Cassandra data model runs natively, by workaround, or refuses, without a node."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bakeoff.adapters.cassandra_models import CassandraQueryTables
from bakeoff.adapters.data_model import UnsupportedOperationError
from bakeoff.core.schema import OperationSpec, Schema
from bakeoff.workloads.loader import load_workload

ROOT = Path(__file__).parents[3]


def _workload(name: str) -> tuple[Schema, dict[str, OperationSpec]]:
    workload = load_workload(ROOT / f"workloads/{name}.yaml")
    return workload.data_schema(), dict(workload.operations.items())  # type: ignore[union-attr]


def _plan(schema: Schema, **fields: Any) -> tuple[str | None, str]:
    spec = OperationSpec.model_validate({"share": 0, **fields})
    plan = CassandraQueryTables.plan(schema, "op", spec)
    return plan.workaround, plan.note


def test_shipped_workloads_use_only_the_workarounds_they_allow() -> None:
    for name in ("orders", "timeseries"):
        schema, operations = _workload(name)
        for op_name, op in operations.items():
            plan = CassandraQueryTables.plan(schema, op_name, op)
            assert plan.workaround is None or plan.workaround in op.allow, op_name
    schema, operations = _workload("orders")
    assert CassandraQueryTables.plan(schema, "top", operations["top_products"]).workaround == (
        "client_aggregate"
    )
    assert CassandraQueryTables.plan(schema, "c", operations["customer_orders"]).workaround is None


def test_reads_without_a_table_need_filtering() -> None:
    schema, _ = _workload("orders")
    assert _plan(schema, kind="find", entity="orders", field="customer_id")[0] is None
    assert _plan(schema, kind="find", entity="orders", field="total")[0] == "filtering"
    window = {"field": "placed_at", "span": 10}
    assert _plan(schema, kind="range", entity="orders", window=window)[0] == "filtering"
    ranged = _plan(schema, kind="range", entity="orders", window=window, partition="status")
    assert ranged[0] == "filtering" and "orders_by_status" in ranged[1]


def test_aggregates_native_where_cql_allows() -> None:
    schema, _ = _workload("orders")
    window = {"field": "placed_at", "span": 10}
    base = {"kind": "aggregate", "entity": "orders", "function": "sum", "field": "total"}
    assert _plan(schema, **base)[0] is None
    assert _plan(schema, **base, partition="customer_id", window=window)[0] is None
    assert _plan(schema, **base, window=window)[0] == "filtering"
    assert _plan(schema, **base, window=window, allow=["client_aggregate"])[0] == (
        "client_aggregate"
    )
    assert _plan(schema, **base, group_by={"field": "status"})[0] is None
    assert _plan(schema, **base, group_by={"field": "customer_id"})[0] is None
    bucket = {"field": "placed_at", "bucket": 1000}
    assert _plan(schema, **base, group_by=bucket)[0] == "client_aggregate"


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"kind": "update", "entity": "orders", "set": ["order_id"]}, "part of the key"),
        (
            {
                "kind": "compare_and_set",
                "entity": "orders",
                "field": "order_id",
                "expect": "1",
                "to": "2",
            },
            "part of the key",
        ),
        ({"kind": "find", "entity": "orders", "field": "nope"}, "no field"),
        (
            {
                "kind": "transaction",
                "entity": "customers",
                "decrement": {
                    "entity": "products",
                    "field": "stock",
                    "by": "quantity",
                    "via": "product_id",
                },
            },
            "no child",
        ),
    ],
)
def test_refused_before_the_run(fields: dict[str, Any], why: str) -> None:
    schema, _ = _workload("orders")
    with pytest.raises(UnsupportedOperationError, match=why):
        _plan(schema, **fields)


def test_transaction_says_what_is_atomic() -> None:
    schema, operations = _workload("orders")
    note = CassandraQueryTables.plan(schema, "p", operations["place_order"]).note
    assert "not one atomic unit" in note and "lightweight transaction" in note


def test_find_prefers_the_table_in_key_order() -> None:
    schema = Schema.model_validate(
        {
            "entities": {
                "orders": {
                    "key": ["id"],
                    "fields": {"id": "integer", "customer": "integer", "at": "timestamp"},
                    "partition": "customer",
                    "ordering": "at",
                    "indexes": ["customer"],
                }
            }
        }
    )
    assert (
        "orders_by_customer, in key order"
        in _plan(schema, kind="find", entity="orders", field="customer")[1]
    )
