"""The Redis `hashes` data model against a real Redis server (the session's container).

The shipped workloads' schemas are loaded with their generated rows, and each answer is
checked against the same rows filtered and sorted in plain Python.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import redis

from bakeoff.adapters.data_model import DataModel, UnsupportedOperationError
from bakeoff.adapters.errors import FatalError, TransientError
from bakeoff.adapters.model_registry import MODELS
from bakeoff.adapters.redis_models import RedisHashesModel
from bakeoff.core.endpoint import Endpoint
from bakeoff.core.schema import OperationSpec, Schema
from bakeoff.testing.model_conformance import ModelConformance
from bakeoff.workloads.loader import load_workload
from bakeoff.workloads.rows import rows_for_keys
from tests.conftest import ServerPool

pytestmark = pytest.mark.docker

WORKLOADS = Path(__file__).parents[2] / "workloads"
SEED = 7


Data = dict[str, list[Any]]
"""Generated rows by entity (values typed loosely: the tests index them freely)."""


def _workload(name: str) -> tuple[Schema, dict[str, OperationSpec]]:
    workload = load_workload(WORKLOADS / f"{name}.yaml")
    operations: Any = workload.operations
    return workload.data_schema(), dict(operations.items())


ORDERS, ORDER_OPS = _workload("orders")
SERIES, SERIES_OPS = _workload("timeseries")


def _generated(schema: Schema, sizes: dict[str, int]) -> Data:
    return {e: rows_for_keys(schema, e, range(n), SEED) for e, n in sizes.items()}


@pytest.fixture(scope="module")
def redis_endpoint(servers: ServerPool) -> Endpoint:
    return servers.endpoint("redis")


class TestRedisHashesModel(ModelConformance):
    @pytest.fixture
    def model_class(self) -> type[DataModel]:
        return RedisHashesModel

    @pytest.fixture
    def endpoint(self, redis_endpoint: Endpoint) -> Endpoint:
        return redis_endpoint


@pytest.fixture
def raw(redis_endpoint: Endpoint) -> Iterator[Any]:
    client = redis.Redis.from_url(redis_endpoint.url, decode_responses=True)
    try:
        yield client
    finally:
        client.close()


def _model(endpoint: Endpoint, schema: Schema, data: Data) -> RedisHashesModel:
    model = RedisHashesModel()
    model.connect(endpoint, {})
    model.teardown(schema)
    model.setup(schema)
    for entity, rows in data.items():
        model.load(entity, rows)
    return model


def _drop(endpoint: Endpoint, schema: Schema, model: RedisHashesModel) -> None:
    model.close()  # a test may have killed its connection: tear down on a new one
    cleanup = RedisHashesModel()
    cleanup.connect(endpoint, {})
    cleanup.teardown(schema)
    cleanup.close()


@pytest.fixture
def orders_data() -> Data:
    return _generated(ORDERS, {"customers": 50, "products": 20, "orders": 300})


@pytest.fixture
def orders(redis_endpoint: Endpoint, orders_data: Data) -> Iterator[Any]:
    model = _model(redis_endpoint, ORDERS, orders_data)
    try:
        yield model
    finally:
        _drop(redis_endpoint, ORDERS, model)


@pytest.fixture
def series_data() -> Data:
    return _generated(SERIES, {"devices": 10, "readings": 2000})


@pytest.fixture
def series(redis_endpoint: Endpoint, series_data: Data) -> Iterator[Any]:
    model = _model(redis_endpoint, SERIES, series_data)
    try:
        yield model
    finally:
        _drop(redis_endpoint, SERIES, model)


def _flat(row: Any) -> Any:
    return {k: v for k, v in row.items() if not isinstance(v, list)}


def _window(rows: list[Any], field: str, low: int, high: int, desc: bool) -> list[Any]:
    found = sorted((r for r in rows if low <= r[field] < high), key=lambda r: r[field])
    found.sort(key=lambda r: r[field], reverse=desc)
    return found


def test_registered_as_the_redis_default() -> None:
    assert MODELS.model_class("redis", None) is RedisHashesModel
    assert isinstance(RedisHashesModel(), DataModel)


def test_get_with_children_and_without(orders: Any, orders_data: Data) -> None:
    get = orders.prepare("get_order", ORDER_OPS["get_order"])
    for row in orders_data["orders"][:20]:
        assert get({"key": row["order_id"]}) == row
    assert get({"key": 10_000}) is None
    plain = OperationSpec(kind="get", entity="customers", share=1)
    customer = orders_data["customers"][3]
    assert orders.prepare("c", plain)({"key": 3}) == customer


def test_range_by_partition_desc_with_limit(orders: Any, orders_data: Data) -> None:
    op = ORDER_OPS["customer_orders"]
    run = orders.prepare("customer_orders", op)
    all_orders = [_flat(r) for r in orders_data["orders"]]
    low = min(r["placed_at"] for r in all_orders)
    for customer in range(10):
        mine = [r for r in all_orders if r["customer_id"] == customer]
        for high in (low + 10**9, low + 3 * 10**9):
            params = {"partition": customer, "low": low, "high": high}
            want = _window(mine, "placed_at", low, high, desc=True)[: op.limit]
            assert run(params) == want


def test_range_ties_are_broken_by_key_even_descending(orders: Any) -> None:
    op = OperationSpec(
        kind="range",
        entity="orders",
        partition="customer_id",
        window={"field": "placed_at", "span": 10},
        order="desc",
        limit=2,
        share=1,
    )
    rows: list[Any] = [
        {"order_id": k, "customer_id": 999, "placed_at": 5, "status": "new", "order_lines": []}
        for k in (41, 7, 23)
    ]
    orders.load("orders", rows)
    got = orders.prepare("ties", op)({"partition": 999, "low": 0, "high": 10})
    assert [r["order_id"] for r in got] == [7, 23]


def test_find_by_index_in_key_order(orders: Any, orders_data: Data) -> None:
    op = ORDER_OPS["orders_by_status"]
    run = orders.prepare("orders_by_status", op)
    for status in ("new", "paid", "nope"):
        want = [_flat(r) for r in orders_data["orders"] if r["status"] == status][: op.limit]
        assert run({"value": status}) == want


def test_find_without_an_index_filters(orders: Any, orders_data: Data) -> None:
    op = OperationSpec(kind="find", entity="products", field="name", share=1, limit=3)
    assert RedisHashesModel.plan(ORDERS, "by_name", op).workaround == "filtering"
    product = orders_data["products"][4]
    assert orders.prepare("by_name", op)({"value": product["name"]}) == [product]


def test_aggregates(orders: Any, orders_data: Data) -> None:
    all_orders = [_flat(r) for r in orders_data["orders"]]
    low = min(r["placed_at"] for r in all_orders)
    high = low + 259_200_000
    revenue = orders.prepare("revenue_per_day", ORDER_OPS["revenue_per_day"])
    per_day: dict[int, Decimal] = {}
    for r in _window(all_orders, "placed_at", low, high, desc=False):
        day = r["placed_at"] // 86_400_000 * 86_400_000
        per_day[day] = per_day.get(day, Decimal(0)) + r["total"]
    want = [{"group": g, "value": v} for g, v in sorted(per_day.items())]
    assert revenue({"low": low, "high": high}) == want

    top = orders.prepare("top_products", ORDER_OPS["top_products"])
    sums: dict[int, int] = {}
    for order in orders_data["orders"]:
        for line in order["order_lines"]:
            sums[line["product_id"]] = sums.get(line["product_id"], 0) + line["quantity"]
    ranked = sorted(sums.items(), key=lambda item: (-item[1], item[0]))[:5]
    assert top({}) == [{"group": g, "value": v} for g, v in ranked]

    count = OperationSpec(
        kind="aggregate", entity="orders", function="count", partition="customer_id", share=1
    )
    assert RedisHashesModel.plan(ORDERS, "count", count).workaround is None
    mine = sum(1 for r in all_orders if r["customer_id"] == 3)
    assert orders.prepare("count", count)({"partition": 3}) == mine
    empty = OperationSpec(kind="aggregate", entity="orders", function="max", field="total", share=1)
    assert orders.prepare("max", empty)({}) == max(r["total"] for r in all_orders)


def test_update_moves_the_row_between_index_sets(orders: Any, raw: Any) -> None:
    update = orders.prepare("update_status", ORDER_OPS["update_status"])
    find = orders.prepare(
        "find", OperationSpec(kind="find", entity="orders", field="status", share=1)
    )
    update({"key": 5, "values": {"status": "lost"}})
    assert [r["order_id"] for r in find({"value": "lost"})] == [5]
    assert all(r["order_id"] != 5 for r in find({"value": "new"}) + find({"value": "paid"}))
    update({"key": 10_000, "values": {"status": "lost"}})  # absent: nothing created
    assert raw.exists("orders:10000") == 0


def test_compare_and_set(orders: Any) -> None:
    op = OperationSpec(
        kind="compare_and_set", entity="orders", field="status", expect="new", to="paid", share=1
    )
    cas = orders.prepare("cas", op)
    get = orders.prepare("get", OperationSpec(kind="get", entity="orders", share=1))
    new = next(k for k in range(300) if get({"key": k})["status"] == "new")
    assert cas({"key": new}) is True
    assert get({"key": new})["status"] == "paid"
    assert cas({"key": new}) is False
    assert cas({"key": 10_000}) is False


def test_delete_removes_children_and_index_entries(orders: Any, raw: Any) -> None:
    orders.prepare("delete", OperationSpec(kind="delete", entity="orders", share=1))({"key": 8})
    assert raw.keys("order_lines:8:*") == []
    assert raw.exists("orders:8") == 0
    assert all(r["order_id"] != 8 for r in orders.dump("orders"))
    assert all(r["order_id"] != 8 for r in orders.dump("order_lines"))


def test_transaction_is_all_or_nothing(orders: Any, raw: Any) -> None:
    place = orders.prepare("place_order", ORDER_OPS["place_order"])
    stock = int(raw.hget("products:1", "stock"))
    line = {"line_no": 1, "product_id": 1, "quantity": 2, "price": Decimal("3.00")}
    row = {"order_id": 5000, "customer_id": 1, "placed_at": 10, "status": "new",
           "total": Decimal("6.00"), "order_lines": [line]}  # fmt: skip
    assert place({"row": row}) is True
    assert int(raw.hget("products:1", "stock")) == stock - 2
    assert orders.prepare("g", ORDER_OPS["get_order"])({"key": 5000})["order_lines"] == [
        {**line, "order_id": 5000}
    ]
    short = {**row, "order_id": 5001, "order_lines": [line, {**line, "line_no": 2,
             "product_id": 2, "quantity": 10**6}]}  # fmt: skip
    assert place({"row": short}) is False
    assert raw.exists("orders:5001") == 0
    assert int(raw.hget("products:1", "stock")) == stock - 2


def test_upsert_replaces_children_and_dump_matches(orders: Any, orders_data: Data) -> None:
    row = orders_data["orders"][2]
    changed = {**row, "status": "gone", "order_lines": row["order_lines"][:1]}
    orders.prepare("up", OperationSpec(kind="upsert", entity="orders", share=1))(
        {"rows": [changed]}
    )
    lines = [r for r in orders.dump("order_lines") if r["order_id"] == row["order_id"]]
    assert lines == row["order_lines"][:1]
    dumped = orders.dump("orders")
    assert len(dumped) == 300
    assert dumped[2] == _flat(changed)


def test_insert_with_ttl_expires_from_every_answer(
    series: Any, raw: Any, series_data: Data
) -> None:
    op = OperationSpec(kind="insert", entity="readings", batch=2, ttl_s=1, share=1)
    rows = rows_for_keys(SERIES, "readings", [9000, 9001], SEED)
    device = rows[0]["device_id"]
    count = OperationSpec(
        kind="aggregate", entity="readings", function="count", partition="device_id", share=1
    )
    per_device = OperationSpec(
        kind="aggregate",
        entity="readings",
        function="count",
        group_by={"field": "device_id"},
        share=1,
    )

    def counts() -> tuple[int, list[dict[str, int]]]:
        in_partition = series.prepare("count", count)({"partition": device})
        return in_partition, series.prepare("per_device", per_device)({})

    before = counts()
    series.prepare("ingest", op)({"rows": rows})
    assert 0 < raw.pttl("readings:9000") <= 1000
    assert counts()[0] == before[0] + sum(r["device_id"] == device for r in rows)
    time.sleep(1.1)
    get = series.prepare("get", OperationSpec(kind="get", entity="readings", share=1))
    assert get({"key": 9000}) is None
    last = series.prepare("last", SERIES_OPS["last_reading"])
    mine = [r for r in series_data["readings"] if r["device_id"] == device]
    params = {"partition": device, "low": 0, "high": 2**62}
    assert last(params) == _window(mine, "at", 0, 2**62, desc=True)[:1]
    assert counts() == before
    assert raw.keys("readings:__ghost:*") == []
    assert raw.zcard("readings:__expires") == 0


def test_a_ttl_row_replaced_before_it_expires_stays(series: Any) -> None:
    rows = rows_for_keys(SERIES, "readings", [9100], SEED)
    ingest = OperationSpec(kind="insert", entity="readings", ttl_s=1, share=1)
    series.prepare("ingest", ingest)({"rows": rows})
    series.prepare("up", OperationSpec(kind="upsert", entity="readings", share=1))({"rows": rows})
    time.sleep(1.1)
    assert rows[0] in series.dump("readings")


def test_timeseries_operations(series: Any, series_data: Data) -> None:
    readings = series_data["readings"]
    low = min(r["at"] for r in readings)
    for device in range(3):
        mine = [r for r in readings if r["device_id"] == device]
        params = {"partition": device, "low": low, "high": low + 21_600_000 * 20}
        recent = series.prepare("recent", SERIES_OPS["recent_readings"])(params)
        assert recent == _window(mine, "at", params["low"], params["high"], desc=False)
        hourly = series.prepare("cpu", SERIES_OPS["cpu_per_hour"])(params)
        groups: dict[int, list[Decimal]] = {}
        for r in recent:
            groups.setdefault(r["at"] // 3_600_000 * 3_600_000, []).append(r["cpu"])
        want = [{"group": g, "value": sum(v) / len(v)} for g, v in sorted(groups.items())]
        assert hourly == want
    region = series.prepare("region", SERIES_OPS["devices_in_region"])
    devices = series_data["devices"]
    assert region({"value": "eu-west"}) == [d for d in devices if d["region"] == "eu-west"]


def test_plan_refusals() -> None:
    by_key = OperationSpec(kind="get", entity="order_lines", share=1)
    with pytest.raises(UnsupportedOperationError, match="parent"):
        RedisHashesModel.plan(ORDERS, "lines", by_key)
    key_update = OperationSpec(kind="update", entity="orders", set=("order_id",), share=1)
    with pytest.raises(UnsupportedOperationError, match="key"):
        RedisHashesModel.plan(ORDERS, "rekey", key_update)
    text_sum = OperationSpec(
        kind="aggregate", entity="orders", function="sum", field="status", share=1
    )
    with pytest.raises(UnsupportedOperationError, match="sum"):
        RedisHashesModel.plan(ORDERS, "s", text_sum)


def test_errors_are_classified(orders: Any, raw: Any, redis_endpoint: Endpoint) -> None:
    raw.set("orders:77", "not a hash")
    get = orders.prepare("get", OperationSpec(kind="get", entity="orders", share=1))
    with pytest.raises(TransientError, match="WRONGTYPE"):
        get({"key": 77})
    assert get({"key": 1}) is not None  # the connection stayed in step
    raw.client_kill_filter(_type="normal", skipme=True)
    with pytest.raises(FatalError, match="ConnectionError"):
        get({"key": 1})


def _per_group(rows: list[Any], group: str, field: str | None) -> list[dict[str, Any]]:
    totals: dict[int, int] = {}
    for r in rows:
        totals[r[group]] = totals.get(r[group], 0) + (r[field] if field else 1)
    return [{"group": g, "value": v} for g, v in sorted(totals.items())]


def test_maintained_aggregates_follow_every_write(orders: Any, orders_data: Data) -> None:
    sold = OperationSpec(
        kind="aggregate",
        entity="order_lines",
        function="sum",
        field="quantity",
        group_by={"field": "product_id"},
        share=1,
    )
    per_customer = OperationSpec(
        kind="aggregate",
        entity="orders",
        function="count",
        group_by={"field": "customer_id"},
        share=1,
    )
    for op in (sold, per_customer, ORDER_OPS["top_products"]):
        assert RedisHashesModel.plan(ORDERS, "agg", op).workaround is None
    orders.prepare("d", OperationSpec(kind="delete", entity="orders", share=1))({"key": 8})
    row = orders_data["orders"][2]
    fewer = {**row, "customer_id": 49, "order_lines": row["order_lines"][1:]}
    orders.prepare("u", OperationSpec(kind="upsert", entity="orders", share=1))({"rows": [fewer]})
    line = {"line_no": 1, "product_id": 3, "quantity": 4, "price": Decimal(1)}
    placed = {"order_id": 900, "customer_id": 1, "placed_at": 1, "order_lines": [line]}
    assert orders.prepare("t", ORDER_OPS["place_order"])({"row": placed}) is True
    update = OperationSpec(kind="update", entity="orders", set=("customer_id",), share=1)
    orders.prepare("m", update)({"key": 5, "values": {"customer_id": 48}})
    lines, all_orders = orders.dump("order_lines"), orders.dump("orders")
    assert orders.prepare("sold", sold)({}) == _per_group(lines, "product_id", "quantity")
    assert orders.prepare("pc", per_customer)({}) == _per_group(all_orders, "customer_id", None)


def test_concurrent_transactions_never_oversell(
    orders: Any, raw: Any, redis_endpoint: Endpoint
) -> None:
    raw.hset("products:4", "stock", 50)
    line = {"line_no": 1, "product_id": 4, "quantity": 3, "price": Decimal(1)}
    committed: list[int] = []

    def client(first: int) -> None:
        model = RedisHashesModel()
        model.connect(redis_endpoint, {})
        model.setup(ORDERS)
        place = model.prepare("place_order", ORDER_OPS["place_order"])
        for key in range(first, first + 10):
            row = {"order_id": key, "customer_id": 1, "placed_at": 1, "order_lines": [line]}
            if place({"row": row}):
                committed.append(key)
        model.close()

    threads = [threading.Thread(target=client, args=(10_000 + 100 * i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(committed) == 50 // 3
    assert int(raw.hget("products:4", "stock")) == 50 - 3 * len(committed)
    assert sorted(
        r["order_id"] for r in orders.dump("orders") if r["order_id"] >= 10_000
    ) == sorted(committed)
