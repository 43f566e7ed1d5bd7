"""The MongoDB data models (embedded, referenced) against FerretDB v1.24 in a container.

Answers are checked against the generated rows (`rows_for_keys`) computed in plain Python
here; each test gets a database of its own on the session's shared FerretDB server.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pymongo
import pytest

from bakeoff.adapters.data_model import DataModel
from bakeoff.adapters.errors import FatalError, TransientError
from bakeoff.adapters.mongo_models import EmbeddedModel, ReferencedModel
from bakeoff.core.endpoint import Endpoint
from bakeoff.core.schema import OperationSpec, Row, Schema
from bakeoff.testing.model_conformance import ModelConformance
from bakeoff.workloads.loader import load_workload
from bakeoff.workloads.logical import LogicalMix
from bakeoff.workloads.rows import rows_for_keys
from tests.conftest import ServerPool

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[2]
KNOBS = {"log-level": "error", "w": "majority"}  # test_mongo_ferretdb's: one shared server
SEED = 1
T0 = 1_767_225_600_000
DAY = 86_400_000
MODEL_CLASSES = [EmbeddedModel, ReferencedModel]


def _schema(name: str) -> Schema:
    return load_workload(ROOT / "workloads" / f"{name}.yaml").data_schema()


def _operations(name: str) -> dict[str, OperationSpec]:
    operations = load_workload(ROOT / "workloads" / f"{name}.yaml").operations
    assert isinstance(operations, LogicalMix)
    return dict(operations.items())


def _fresh_database(servers: ServerPool) -> Endpoint:
    endpoint = servers.endpoint("ferretdb", KNOBS)
    base, _, _ = endpoint.url.partition("?")
    server = base.rsplit("/", 1)[0]
    return replace(endpoint, url=f"{server}/m{uuid.uuid4().hex[:12]}")


def _connected(model_class: type[DataModel], endpoint: Endpoint, schema: Schema) -> Any:
    model = model_class()
    model.connect(endpoint, {})
    model.setup(schema)
    return model


def _all_rows(schema: Schema, entity: str) -> list[dict[str, Any]]:
    """The loaded rows, typed loosely so that the expectations read plainly."""
    return rows_for_keys(schema, entity, list(range(schema.entities[entity].rows)), SEED)


def canon(value: object) -> object:
    """Decimals and floats compared at 4 places, as the harness compares them."""
    if isinstance(value, Decimal | float):
        return round(float(value), 4)
    if isinstance(value, dict):
        return {k: canon(v) for k, v in value.items()}
    if isinstance(value, list):
        return [canon(v) for v in value]
    return value


# -- the contract's conformance suite --------------------------------------------------


class TestEmbeddedOnFerretDB(ModelConformance):
    @pytest.fixture
    def model_class(self) -> type[DataModel]:
        return EmbeddedModel

    @pytest.fixture
    def endpoint(self, servers: ServerPool) -> Endpoint:
        return _fresh_database(servers)


class TestReferencedOnFerretDB(TestEmbeddedOnFerretDB):
    @pytest.fixture
    def model_class(self) -> type[DataModel]:
        return ReferencedModel


# -- reads over the loaded orders workload ---------------------------------------------


@pytest.fixture(scope="module", params=MODEL_CLASSES, ids=lambda m: m.name)
def orders(request: pytest.FixtureRequest, servers: ServerPool) -> Iterator[Any]:
    schema = _schema("orders")
    model = _connected(request.param, _fresh_database(servers), schema)
    for entity in schema.roots():
        model.load(entity, _all_rows(schema, entity))
    try:
        yield model
    finally:
        model.teardown(schema)
        model.close()


def _run(model: Any, op: dict[str, Any], params: dict[str, Any]) -> Any:
    spec = OperationSpec.model_validate({"share": 0.1, **op})
    return canon(model.prepare("op", spec)(params))


def _order_rows() -> list[dict[str, Any]]:
    return _all_rows(_schema("orders"), "orders")


def _lines() -> list[dict[str, Any]]:
    return [line for order in _order_rows() for line in order["order_lines"]]


def _plain(row: Row) -> Row:
    return {k: v for k, v in row.items() if k != "order_lines"}


def test_get_with_and_without_children(orders: Any) -> None:
    expected = _order_rows()[5]
    assert _run(orders, {"kind": "get", "entity": "orders", "with_children": True}, {"key": 5}) == (
        canon(expected)
    )
    plain = _run(orders, {"kind": "get", "entity": "orders"}, {"key": 5})
    assert plain == canon(_plain(expected))
    assert _run(orders, {"kind": "get", "entity": "orders"}, {"key": 10**6}) is None
    line = _run(orders, {"kind": "get", "entity": "order_lines"}, {"key": (5, 1)})
    assert line == canon(expected["order_lines"][0])


def test_shipped_reads(orders: Any) -> None:
    ops = _operations("orders")
    rows = _order_rows()
    low, high = T0 + 3 * DAY, T0 + 13 * DAY
    got = canon(
        orders.prepare("c", ops["customer_orders"])({"partition": 7, "low": low, "high": high})
    )
    mine = [r for r in rows if r["customer_id"] == 7 and low <= r["placed_at"] < high]
    mine.sort(key=lambda r: (-r["placed_at"], r["order_id"]))
    assert got == canon([_plain(r) for r in mine[:20]])

    got = canon(orders.prepare("s", ops["orders_by_status"])({"value": "paid"}))
    assert got == canon([_plain(r) for r in rows if r["status"] == "paid"][:10])

    got = canon(orders.prepare("r", ops["revenue_per_day"])({"low": low, "high": low + 3 * DAY}))
    per_day: dict[int, Decimal] = {}
    for r in rows:
        if low <= r["placed_at"] < low + 3 * DAY:
            day = r["placed_at"] // DAY * DAY
            per_day[day] = per_day.get(day, Decimal(0)) + r["total"]
    assert got == canon([{"group": d, "value": v} for d, v in sorted(per_day.items())])

    got = canon(orders.prepare("t", ops["top_products"])({}))
    sold: dict[int, int] = {}
    for line in _lines():
        sold[line["product_id"]] = sold.get(line["product_id"], 0) + line["quantity"]
    top = sorted(sold.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    assert got == [{"group": g, "value": v} for g, v in top]


def test_aggregates_native_and_by_the_client(orders: Any) -> None:
    rows = _order_rows()
    totals = [float(r["total"]) for r in rows]
    assert _run(orders, {"kind": "aggregate", "entity": "orders", "function": "count"}, {}) == 2000
    assert _run(
        orders, {"kind": "aggregate", "entity": "orders", "function": "max", "field": "total"}, {}
    ) == canon(max(totals))
    assert _run(
        orders,
        {"kind": "aggregate", "entity": "orders", "function": "min", "field": "placed_at"},
        {},
    ) == min(r["placed_at"] for r in rows)
    assert _run(
        orders, {"kind": "aggregate", "entity": "orders", "function": "avg", "field": "total"}, {}
    ) == canon(sum(totals) / len(totals))
    empty = {"kind": "aggregate", "entity": "orders", "window": {"field": "placed_at", "span": 1}}
    assert _run(orders, {**empty, "function": "count"}, {"low": 0, "high": 1}) == 0
    assert (
        _run(orders, {**empty, "function": "sum", "field": "total"}, {"low": 0, "high": 1}) is None
    )
    grouped = {"kind": "aggregate", "entity": "orders", "group_by": {"field": "status"}}
    by_status: dict[str, list[float]] = {}
    for r in rows:
        by_status.setdefault(r["status"], []).append(float(r["total"]))
    avg: list[dict[str, Any]] = [
        {"group": s, "value": canon(sum(v) / len(v))} for s, v in sorted(by_status.items())
    ]
    assert _run(orders, {**grouped, "function": "avg", "field": "total"}, {}) == avg
    best = sorted(avg, key=lambda g: -g["value"])[:2]
    assert (
        _run(
            orders,
            {**grouped, "function": "avg", "field": "total", "order": "desc", "limit": 2},
            {},
        )
        == best
    )
    most = [{"group": s, "value": canon(max(v))} for s, v in sorted(by_status.items())]
    assert _run(orders, {**grouped, "function": "max", "field": "total"}, {}) == most
    # Over the children: embedded, through $unwind.
    lines = _lines()
    per_line = {"kind": "aggregate", "entity": "order_lines", "partition": "order_id"}
    assert _run(orders, {**per_line, "function": "count"}, {"partition": 5}) == len(
        rows[5]["order_lines"]
    )
    top_line = max(float(line["price"]) for line in lines)
    assert _run(
        orders,
        {"kind": "aggregate", "entity": "order_lines", "function": "max", "field": "price"},
        {},
    ) == canon(top_line)


def test_find_and_range_over_children(orders: Any) -> None:
    lines = _lines()
    got = _run(
        orders,
        {"kind": "find", "entity": "order_lines", "field": "product_id", "limit": 7},
        {"value": 3},
    )
    mine = sorted(
        (line for line in lines if line["product_id"] == 3),
        key=lambda line: (line["order_id"], line["line_no"]),
    )
    assert got == canon(mine[:7])
    window = {"kind": "range", "entity": "order_lines", "window": {"field": "quantity", "span": 2}}
    got = _run(orders, {**window, "order": "desc", "limit": 4}, {"low": 2, "high": 4})
    mine = [line for line in lines if 2 <= line["quantity"] < 4]
    mine.sort(key=lambda line: (-line["quantity"], line["order_id"], line["line_no"]))
    assert got == canon(mine[:4])


def test_dump_gives_every_row_of_an_entity(orders: Any) -> None:
    assert canon(orders.dump("order_lines")) == canon(_lines())
    assert canon(orders.dump("customers")) == canon(_all_rows(_schema("orders"), "customers"))


# -- writes on a fresh database --------------------------------------------------------


@pytest.fixture(params=MODEL_CLASSES, ids=lambda m: m.name)
def fresh(request: pytest.FixtureRequest, servers: ServerPool) -> Iterator[Any]:
    schema = _schema("orders")
    model = _connected(request.param, _fresh_database(servers), schema)
    model.load("products", rows_for_keys(schema, "products", [0, 1, 2], SEED))
    try:
        yield model
    finally:
        model.teardown(schema)
        model.close()


def _order(key: int, lines: list[tuple[int, int]]) -> Row:
    """An order of `lines` (product, quantity), its total consistent."""
    children: list[Row] = [
        {"order_id": key, "line_no": n, "product_id": p, "quantity": q, "price": Decimal("2.50")}
        for n, (p, q) in enumerate(lines, start=1)
    ]
    total = sum((Decimal("2.50") * q for _, q in lines), Decimal(0))
    return {
        "order_id": key,
        "customer_id": 1,
        "placed_at": T0,
        "status": "new",
        "total": total,
        "order_lines": children,
    }


def _stock(model: Any) -> dict[int, int]:
    return {r["product_id"]: r["stock"] for r in model.dump("products")}


def test_transaction_commits_or_writes_nothing(fresh: Any) -> None:
    place = _operations("orders")["place_order"]
    run = fresh.prepare("place_order", place)
    before = _stock(fresh)
    assert run({"row": _order(1, [(0, 2), (1, 3), (0, 1)])}) is True
    after = _stock(fresh)
    assert after == {0: before[0] - 3, 1: before[1] - 3, 2: before[2]}
    # Product 2 is short: the decrement of product 0, made first, is given back.
    assert run({"row": _order(2, [(0, 1), (2, before[2] + 1)])}) is False
    assert _stock(fresh) == after
    assert [o["order_id"] for o in fresh.dump("orders")] == [1]
    assert len(fresh.dump("order_lines")) == 3
    # An order that exists already: a transient failure, and the stock given back.
    with pytest.raises(TransientError, match=r"(?i)duplicate"):
        run({"row": _order(1, [(0, 1)])})
    assert _stock(fresh) == after


def test_insert_upsert_update_delete_compare_and_set(fresh: Any) -> None:
    def op(kind: str, **more: Any) -> Any:
        return fresh.prepare(
            kind,
            OperationSpec.model_validate({"kind": kind, "entity": "orders", "share": 0.1, **more}),
        )

    op("insert", batch=2)({"rows": [_order(1, [(0, 1)]), _order(2, [(1, 1), (2, 2)])]})
    with pytest.raises(TransientError):
        op("insert")({"rows": [_order(2, [(0, 1)])]})
    op("upsert")({"rows": [_order(2, [(2, 5)]), _order(3, [(0, 1)])]})
    get = op("get", with_children=True)
    assert canon(get({"key": 2})) == canon(_order(2, [(2, 5)]))
    op("update", set=["status"])({"key": 3, "values": {"status": "paid"}})
    assert get({"key": 3})["status"] == "paid"
    cas = op("compare_and_set", field="status", expect="paid", to="shipped")
    assert cas({"key": 3}) is True
    assert cas({"key": 3}) is False
    assert cas({"key": 99}) is False
    assert get({"key": 3})["status"] == "shipped"
    op("delete")({"key": 2})
    assert get({"key": 2}) is None
    assert [(line["order_id"], line["line_no"]) for line in fresh.dump("order_lines")] == [
        (1, 1),
        (3, 1),
    ]


# -- declared limits and errors --------------------------------------------------------


def test_duplicate_key_is_transient_and_use_before_connect_fatal(servers: ServerPool) -> None:
    schema = _schema("timeseries")
    model = _connected(EmbeddedModel, _fresh_database(servers), schema)
    try:
        rows = rows_for_keys(schema, "devices", [1], SEED)
        model.load("devices", rows)
        with pytest.raises(TransientError, match="BulkWriteError"):
            model.load("devices", rows)
    finally:
        model.teardown(schema)
        model.close()
    with pytest.raises(FatalError, match="not connected"):
        model.load("devices", rows)


def test_ferretdb_lacks_what_the_models_work_around(servers: ServerPool) -> None:
    """What the models' notes say of FerretDB v1.24: if this fails, the server gained a
    feature, and the models (and their notes) should use it."""
    endpoint = _fresh_database(servers)
    client: Any = pymongo.MongoClient(endpoint.url, serverSelectionTimeoutMS=5000)
    try:
        db = client.get_default_database()
        db.c.insert_many([{"_id": 1, "n": 2}, {"_id": 2, "n": 4}])
        missing = [
            [{"$group": {"_id": None, "v": {"$avg": "$n"}}}],
            [{"$group": {"_id": None, "v": {"$max": "$n"}}}],
            [{"$group": {"_id": {"$subtract": ["$n", {"$mod": ["$n", 3]}]}}}],
            [{"$lookup": {"from": "c", "localField": "_id", "foreignField": "_id", "as": "x"}}],
        ]
        for pipeline in missing:
            with pytest.raises(pymongo.errors.OperationFailure, match="not implemented"):
                db.c.aggregate(pipeline)
        # Two accumulators in one $group: only the first is computed, the second is 0.
        both: dict[str, Any] = {"_id": None, "s": {"$sum": "$n"}, "c": {"$count": {}}}
        assert [(r["s"], r["c"]) for r in db.c.aggregate([{"$group": both}])] == [(6, 0)]
        with pytest.raises(pymongo.errors.OperationFailure, match="expireAfterSeconds"):
            db.c.create_index("n", expireAfterSeconds=60)
        with (
            client.start_session() as session,
            pytest.raises(pymongo.errors.OperationFailure),
            session.start_transaction(),
        ):
            db.c.insert_one({"_id": 3}, session=session)
        from bson import Decimal128

        with pytest.raises(pymongo.errors.AutoReconnect):
            db.c.insert_one({"_id": 4, "d": Decimal128("1.25")})
    finally:
        client.drop_database(client.get_default_database().name)
        client.close()
