"""The Cassandra data model `query_tables` against a real Cassandra 5.0 node.

The shipped workloads' schemas are loaded (a slice of their rows: a node on two shared
cores writes a few thousand statements a second) into a keyspace of this module's own,
and every answer is checked against plain Python over the same generated rows. One
container serves the session (Cassandra takes a minute to start).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest

from bakeoff.adapters.cassandra_models import CassandraQueryTables
from bakeoff.adapters.data_model import DataModel
from bakeoff.core.endpoint import Endpoint
from bakeoff.core.schema import OperationSpec, Schema
from bakeoff.engines.cql import cql_session
from bakeoff.testing.model_conformance import ModelConformance
from bakeoff.workloads.loader import load_workload
from bakeoff.workloads.rows import rows_for_keys
from tests.conftest import ServerPool

pytestmark = pytest.mark.docker

ROOT = Path(__file__).parents[2]
SEED = 1
ORDERS = 300
READINGS = 1500
DAY = 86_400_000
START = 1_767_225_600_000


@pytest.fixture(scope="module")
def endpoint(servers: ServerPool) -> Endpoint:
    return servers.endpoint("cassandra")


@pytest.fixture(scope="module")
def keyspace(endpoint: Endpoint) -> Iterator[str]:
    name = f"qt_{uuid.uuid4().hex[:8]}"
    yield name
    with cql_session(endpoint.url, 30.0) as session:
        session.execute(f'DROP KEYSPACE IF EXISTS "{name}"', timeout=60.0)


def _connected(endpoint: Endpoint, keyspace: str, schema: Schema) -> CassandraQueryTables:
    model = CassandraQueryTables()
    model.connect(endpoint, {"keyspace": keyspace})
    model.setup(schema)
    return model


@pytest.fixture(scope="module")
def orders(endpoint: Endpoint, keyspace: str) -> Iterator[tuple[CassandraQueryTables, Any]]:
    workload = load_workload(ROOT / "workloads/orders.yaml")
    schema = workload.data_schema()
    model = _connected(endpoint, keyspace, schema)
    model.load("customers", _generated(schema, "customers", range(50), SEED))
    model.load("products", _generated(schema, "products", range(200), SEED))
    model.load("orders", _generated(schema, "orders", range(ORDERS), SEED))
    yield model, workload
    model.teardown(schema)
    model.close()


@pytest.fixture(scope="module")
def readings(endpoint: Endpoint, keyspace: str) -> Iterator[tuple[CassandraQueryTables, Any]]:
    workload = load_workload(ROOT / "workloads/timeseries.yaml")
    schema = workload.data_schema()
    model = _connected(endpoint, keyspace, schema)
    model.load("devices", _generated(schema, "devices", range(100), SEED))
    model.load("readings", _generated(schema, "readings", range(READINGS), SEED))
    yield model, workload
    model.teardown(schema)
    model.close()


def _generated(schema: Schema, entity: str, keys: Iterable[int], seed: int) -> list[dict[str, Any]]:
    return cast("list[dict[str, Any]]", rows_for_keys(schema, entity, list(keys), seed))


def _prepare(
    model: CassandraQueryTables, name: str, spec: OperationSpec
) -> Callable[[dict[str, Any]], Any]:
    return model.prepare(name, spec)


def _op(workload: Any, name: str) -> OperationSpec:
    op = dict(workload.operations.items())[name]
    assert isinstance(op, OperationSpec)
    return op


def _orders(schema: Schema) -> list[dict[str, Any]]:
    return _generated(schema, "orders", range(ORDERS), SEED)


def _stocks(model: CassandraQueryTables) -> dict[int, int]:
    return {int(p["product_id"]): int(p["stock"]) for p in model.dump("products")}  # type: ignore[call-overload]


class TestQueryTablesConformance(ModelConformance):
    @pytest.fixture
    def model_class(self) -> type[DataModel]:
        return CassandraQueryTables


def test_is_a_data_model() -> None:
    assert isinstance(CassandraQueryTables(), DataModel)


def test_get_with_children(orders: tuple[CassandraQueryTables, Any]) -> None:
    model, workload = orders
    get = _prepare(model, "get_order", _op(workload, "get_order"))
    assert get({"key": 7}) == _orders(workload.data_schema())[7]
    assert get({"key": 10**6}) is None


def test_find_by_index_in_key_order(orders: tuple[CassandraQueryTables, Any]) -> None:
    model, workload = orders
    find = _prepare(model, "orders_by_status", _op(workload, "orders_by_status"))
    expected = [
        {k: v for k, v in r.items() if k != "order_lines"}
        for r in _orders(workload.data_schema())
        if r["status"] == "paid"
    ]
    assert find({"value": "paid"}) == expected[:10]


def test_range_of_one_partition(orders: tuple[CassandraQueryTables, Any]) -> None:
    model, workload = orders
    op = _op(workload, "customer_orders")
    run = _prepare(model, "customer_orders", op)
    rows = [r for r in _orders(workload.data_schema()) if r["customer_id"] < 50]
    for customer in {r["customer_id"] for r in rows}:
        params = {"partition": customer, "low": START, "high": START + 30 * DAY}
        expected = sorted(
            (r for r in rows if r["customer_id"] == customer),
            key=lambda r: (-r["placed_at"], r["order_id"]),
        )
        assert run(params) == [
            {k: v for k, v in r.items() if k != "order_lines"} for r in expected[:20]
        ]


def _sum_per_day(rows: list[dict[str, Any]], low: int, high: int) -> list[dict[str, object]]:
    days: dict[int, Decimal] = {}
    for r in rows:
        at = r["placed_at"]
        assert isinstance(at, int) and isinstance(r["total"], Decimal)
        if low <= at < high:
            days[at // DAY * DAY] = days.get(at // DAY * DAY, Decimal(0)) + r["total"]
    return [{"group": d, "value": v} for d, v in sorted(days.items())]


def test_client_aggregates(orders: tuple[CassandraQueryTables, Any]) -> None:
    model, workload = orders
    schema = workload.data_schema()
    revenue = _prepare(model, "revenue_per_day", _op(workload, "revenue_per_day"))
    low, high = START + 5 * DAY, START + 8 * DAY
    assert revenue({"low": low, "high": high}) == _sum_per_day(_orders(schema), low, high)
    top = _prepare(model, "top_products", _op(workload, "top_products"))
    sold: dict[int, int] = {}
    for order in _orders(schema):
        for line in order["order_lines"]:
            sold[line["product_id"]] = sold.get(line["product_id"], 0) + line["quantity"]
    expected = sorted(sorted(sold.items()), key=lambda g: g[1], reverse=True)[:5]
    assert top({}) == [{"group": g, "value": v} for g, v in expected]


def test_update_moves_the_index_copy(orders: tuple[CassandraQueryTables, Any]) -> None:
    model, workload = orders
    update = _prepare(model, "update_status", _op(workload, "update_status"))
    find = _prepare(
        model, "by_status", OperationSpec(kind="find", entity="orders", field="status", share=0)
    )
    update({"key": 3, "values": {"status": "lost"}})
    assert [r["order_id"] for r in find({"value": "lost"})] == [3]
    old = _orders(workload.data_schema())[3]["status"]
    assert 3 not in [r["order_id"] for r in find({"value": old})]
    update({"key": 10**6, "values": {"status": "lost"}})  # absent: nothing is created
    assert [r["order_id"] for r in find({"value": "lost"})] == [3]


def test_delete_takes_children_and_copies(orders: tuple[CassandraQueryTables, Any]) -> None:
    model, workload = orders
    delete = _prepare(model, "d", OperationSpec(kind="delete", entity="orders", share=0))
    get = _prepare(model, "get_order", _op(workload, "get_order"))
    row = _orders(workload.data_schema())[11]
    delete({"key": 11})
    assert get({"key": 11}) is None
    assert all(r["order_id"] != 11 for r in model.dump("order_lines"))
    find = _prepare(
        model, "s", OperationSpec(kind="find", entity="orders", field="status", share=0)
    )
    assert all(r["order_id"] != 11 for r in find({"value": row["status"]}))


def test_upsert_replaces_children(orders: tuple[CassandraQueryTables, Any]) -> None:
    model, workload = orders
    upsert = _prepare(model, "u", OperationSpec(kind="upsert", entity="orders", share=0))
    get = _prepare(model, "get_order", _op(workload, "get_order"))
    row = dict(_orders(workload.data_schema())[20])
    row["order_lines"] = row["order_lines"][:1]
    row["status"] = "upserted"
    upsert({"rows": [row]})
    assert get({"key": 20}) == row


def test_transaction_decrements_or_aborts(orders: tuple[CassandraQueryTables, Any]) -> None:
    model, workload = orders
    schema = workload.data_schema()
    place = _prepare(model, "place_order", _op(workload, "place_order"))
    stock = _stocks(model)
    row = _generated(schema, "orders", [5000], SEED)[0]
    assert place({"row": row}) is True
    for line in row["order_lines"]:
        stock[line["product_id"]] -= line["quantity"]
    assert _stocks(model) == stock
    big = _generated(schema, "orders", [5001], SEED)[0]
    big["order_lines"][-1]["quantity"] = 10**6
    assert place({"row": big}) is False
    assert _stocks(model) == stock
    get = _prepare(model, "get_order", _op(workload, "get_order"))
    assert get({"key": 5001}) is None
    # the copy in products_by_category follows the decrement
    find = _prepare(
        model, "c", OperationSpec(kind="find", entity="products", field="category", share=0)
    )
    product = next(p for p in model.dump("products") if p["product_id"] in stock)
    copies = {p["product_id"]: p["stock"] for p in find({"value": product["category"]})}
    assert copies[product["product_id"]] == product["stock"]


def test_concurrent_transactions_never_oversell(
    endpoint: Endpoint, keyspace: str, orders: tuple[CassandraQueryTables, Any]
) -> None:
    model, workload = orders
    schema = workload.data_schema()
    product = 199
    stock = _stocks(model)[product]
    each = stock // 5 + 1  # the stock covers 4 orders, not 5
    outcomes: list[bool] = []

    def buyer(number: int) -> None:
        own = _connected(endpoint, keyspace, schema)
        try:
            place = _prepare(own, "place_order", _op(workload, "place_order"))
            row = _generated(schema, "orders", [6000 + number], SEED)[0]
            row["order_lines"] = [
                {**row["order_lines"][0], "product_id": product, "quantity": each}
            ]
            outcomes.append(place({"row": row}))
        finally:
            own.close()

    threads = [threading.Thread(target=buyer, args=(n,)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [False, True, True, True, True]
    assert _stocks(model)[product] == stock - 4 * each


def test_timeseries_ranges_and_aggregates(readings: tuple[CassandraQueryTables, Any]) -> None:
    model, workload = readings
    schema = workload.data_schema()
    rows = _generated(schema, "readings", range(READINGS), SEED)
    device = rows[0]["device_id"]
    mine = [r for r in rows if r["device_id"] == device]
    last = _prepare(model, "last_reading", _op(workload, "last_reading"))
    latest = max(mine, key=lambda r: r["at"])
    assert last({"partition": device, "low": START, "high": START + 30 * DAY}) == [latest]
    hourly = _prepare(model, "cpu_per_hour", _op(workload, "cpu_per_hour"))
    low = START + 3 * DAY
    answer = hourly({"partition": device, "low": low, "high": low + DAY})
    hours: dict[int, list[Decimal]] = {}
    for r in mine:
        at = r["at"]
        assert isinstance(at, int)
        if low <= at < low + DAY:
            hours.setdefault(at // 3_600_000 * 3_600_000, []).append(r["cpu"])
    assert answer == [{"group": h, "value": sum(v) / len(v)} for h, v in sorted(hours.items())]
    native = {
        function: _prepare(
            model,
            function,
            OperationSpec(
                kind="aggregate",
                entity="readings",
                function=function,
                field=None if function == "count" else "cpu",
                partition="device_id",
                window={"field": "at", "span": DAY},
                share=0,
            ),
        )
        for function in ("count", "sum", "avg", "min", "max")
    }
    window = {"partition": device, "low": START, "high": START + 30 * DAY + 1}
    cpus = [r["cpu"] for r in mine]
    assert native["count"](window) == len(cpus)
    assert native["sum"](window) == sum(cpus)
    assert native["avg"](window) == sum(cpus) / len(cpus)
    assert native["min"](window) == min(cpus)
    assert native["max"](window) == max(cpus)
    empty = {"partition": device, "low": 0, "high": 1}
    assert [native[f](empty) for f in ("count", "sum", "avg", "min", "max")] == [0] + [None] * 4


def test_ingest_with_ttl_expires(readings: tuple[CassandraQueryTables, Any]) -> None:
    model, workload = readings
    schema = workload.data_schema()
    ingest = _prepare(
        model, "i", OperationSpec(kind="insert", entity="readings", batch=3, ttl_s=1, share=0)
    )
    rows = _generated(schema, "readings", [900_000, 900_001, 900_002], SEED)
    ingest({"rows": rows})
    keys = {900_000, 900_001, 900_002}
    assert keys <= {r["reading_id"] for r in model.dump("readings")}
    time.sleep(2.5)
    assert not keys & {r["reading_id"] for r in model.dump("readings")}


# -- a schema of every field type, with ties and the filtering workarounds --------------

EVENTS = Schema.model_validate(
    {
        "entities": {
            "events": {
                "key": ["event_id"],
                "rows": 200,
                "fields": {
                    "event_id": "integer",
                    "device": {"type": "integer", "min": 0, "max": 3},
                    # three distinct instants: every range has ties
                    "at": {"type": "timestamp", "min": START, "max": START + 2},
                    "label": {"type": "text", "choices": ["x", "y", "z"]},
                    "flag": "boolean",
                    "meta": "json",
                },
                "partition": "device",
                "ordering": "at",
            }
        }
    }
)


@pytest.fixture(scope="module")
def events(endpoint: Endpoint, keyspace: str) -> Iterator[CassandraQueryTables]:
    model = _connected(endpoint, keyspace, EVENTS)
    model.load("events", _generated(EVENTS, "events", range(200), SEED))
    yield model
    model.teardown(EVENTS)
    model.close()


def _events() -> list[dict[str, Any]]:
    return _generated(EVENTS, "events", range(200), SEED)


def _spec(**fields: Any) -> OperationSpec:
    return OperationSpec.model_validate({"entity": "events", "share": 0, **fields})


def test_every_type_round_trips(events: CassandraQueryTables) -> None:
    assert events.dump("events") == _events()
    get = _prepare(events, "g", _spec(kind="get"))
    assert get({"key": 5}) == _events()[5]
    assert isinstance(_events()[5]["meta"], dict)


@pytest.mark.parametrize("limit", [1, 3, 7, None])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_range_breaks_ties_by_key(
    events: CassandraQueryTables, order: str, limit: int | None
) -> None:
    window = {"field": "at", "span": 3}
    run = _prepare(
        events,
        "r",
        _spec(kind="range", partition="device", window=window, order=order, limit=limit),
    )
    for device in range(4):
        mine = sorted((r for r in _events() if r["device"] == device), key=lambda r: r["event_id"])
        mine.sort(key=lambda r: r["at"], reverse=order == "desc")
        assert run({"partition": device, "low": START, "high": START + 3}) == mine[:limit]


def test_filtering_workarounds(events: CassandraQueryTables) -> None:
    plan = CassandraQueryTables.plan
    find = _spec(kind="find", field="label", limit=5, allow=["filtering"])
    assert plan(EVENTS, "f", find).workaround == "filtering"
    by_label = [r for r in _events() if r["label"] == "y"]
    assert _prepare(events, "f", find)({"value": "y"}) == by_label[:5]
    across = _spec(kind="range", window={"field": "at", "span": 2}, limit=4, allow=["filtering"])
    assert plan(EVENTS, "a", across).workaround == "filtering"
    expected = sorted((r for r in _events() if r["at"] < START + 2), key=lambda r: r["event_id"])
    expected.sort(key=lambda r: r["at"])
    assert _prepare(events, "a", across)({"low": START, "high": START + 2}) == expected[:4]
    count = _spec(kind="aggregate", function="count", window={"field": "at", "span": 1})
    assert plan(EVENTS, "c", count).workaround == "filtering"
    assert _prepare(events, "c", count)({"low": START, "high": START + 1}) == sum(
        1 for r in _events() if r["at"] == START
    )


def test_native_group_by_key_columns(events: CassandraQueryTables) -> None:
    per_device = _spec(kind="aggregate", function="count", group_by={"field": "device"})
    assert CassandraQueryTables.plan(EVENTS, "d", per_device).workaround is None
    counts: dict[object, int] = {}
    for r in _events():
        counts[r["device"]] = counts.get(r["device"], 0) + 1
    assert _prepare(events, "d", per_device)({}) == [
        {"group": d, "value": n} for d, n in sorted(counts.items())
    ]
    per_instant = _spec(
        kind="aggregate",
        function="max",
        field="event_id",
        partition="device",
        group_by={"field": "at"},
    )
    assert CassandraQueryTables.plan(EVENTS, "i", per_instant).workaround is None
    latest: dict[object, Any] = {}
    for r in _events():
        if r["device"] == 2:
            latest[r["at"]] = max(latest.get(r["at"], -1), r["event_id"])
    assert _prepare(events, "i", per_instant)({"partition": 2}) == [
        {"group": at, "value": v} for at, v in sorted(latest.items())
    ]


def test_compare_and_set(events: CassandraQueryTables) -> None:
    cas = _prepare(events, "c", _spec(kind="compare_and_set", field="label", expect="y", to="w"))
    key = next(r["event_id"] for r in _events() if r["label"] == "y")
    assert cas({"key": key}) is True
    assert cas({"key": key}) is False
    assert cas({"key": 10**6}) is False
    get = _prepare(events, "g", _spec(kind="get"))
    assert get({"key": key})["label"] == "w"
    assert get({"key": 10**6}) is None
    ranged = _prepare(
        events, "r", _spec(kind="range", partition="device", window={"field": "at", "span": 3})
    )
    row = get({"key": key})
    assert row is not None
    copies = ranged({"partition": row["device"], "low": START, "high": START + 3})
    assert next(r for r in copies if r["event_id"] == key)["label"] == "w"


def test_compare_and_set_moves_the_index_copy(orders: tuple[CassandraQueryTables, Any]) -> None:
    model, workload = orders
    spec = {"kind": "compare_and_set", "entity": "orders", "field": "status", "share": 0}
    cas = _prepare(
        model, "c", OperationSpec.model_validate({**spec, "expect": "paid", "to": "back"})
    )
    find = _prepare(
        model, "s", OperationSpec(kind="find", entity="orders", field="status", share=0)
    )
    key = next(r["order_id"] for r in _orders(workload.data_schema())[40:] if r["status"] == "paid")
    assert cas({"key": key}) is True
    assert key in [r["order_id"] for r in find({"value": "back"})]
    assert key not in [r["order_id"] for r in find({"value": "paid"})]


def test_count_of_a_field_counts_rows(events: CassandraQueryTables) -> None:
    blank = {**_events()[0], "event_id": 5000, "label": None}
    _prepare(events, "u", _spec(kind="upsert"))({"rows": [blank]})
    mine = [r for r in [*_events(), blank] if r["device"] == blank["device"]]
    count = _spec(kind="aggregate", function="count", field="label", partition="device")
    assert _prepare(events, "n", count)({"partition": blank["device"]}) == len(mine)
    per_instant = _spec(
        kind="aggregate",
        function="count",
        field="label",
        partition="device",
        group_by={"field": "at", "bucket": 1},
        allow=["client_aggregate"],
    )
    instants: dict[int, int] = {}
    for r in mine:
        instants[r["at"]] = instants.get(r["at"], 0) + 1
    assert _prepare(events, "g", per_instant)({"partition": blank["device"]}) == [
        {"group": at, "value": n} for at, n in sorted(instants.items())
    ]
    _prepare(events, "d", _spec(kind="delete"))({"key": 5000})
