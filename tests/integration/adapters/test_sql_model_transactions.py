"""The SQL data models' place-order transaction is all or nothing under concurrency: four
connections order from a few products with little stock at once, on real engines; no
stock goes negative, every committed order is there with its lines, every refused or
failed one left nothing, and the stock taken is exactly what the stored lines ordered."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from bakeoff.adapters.data_model import DataModel
from bakeoff.adapters.errors import TransientError
from bakeoff.adapters.sql_jsonb import JsonbModel
from bakeoff.adapters.sql_models import NormalisedModel
from bakeoff.core.endpoint import Endpoint
from bakeoff.core.schema import FieldSpec, Schema
from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.embedded import EmbeddedProvisioner
from bakeoff.testing.model_conformance import SEED, loaded, shipped
from bakeoff.workloads.parameters import ParameterSource
from tests.conftest import ServerPool

CONNECTIONS = 4
ORDERS_EACH = 25


def _scarce(schema: Schema) -> Schema:
    """The orders schema with 3 products of 20 to 30 in stock: most orders run short."""
    products = schema.entities["products"]
    stock = FieldSpec(type=products.fields["stock"].type, min=20, max=30)
    entities = dict(schema.entities)
    entities["products"] = products.model_copy(
        update={"rows": 3, "fields": {**products.fields, "stock": stock}}
    )
    return Schema(entities=entities)


def _place_orders(
    model_class: type[DataModel], endpoint: Endpoint, schema: Schema, connection: int
) -> list[tuple[int, bool | None]]:
    """(order key, answer) per order, None when it failed with a transient error."""
    name, operation = next((n, op) for n, op in shipped("orders")[1] if n == "place_order")
    model = model_class()
    model.connect(endpoint, {})
    try:
        model.setup(schema)
        run = model.prepare(name, operation)
        source = ParameterSource(
            schema, name, operation, seed=SEED, connection=connection, connections=CONNECTIONS
        )
        outcomes: list[tuple[int, bool | None]] = []
        for params in source.draw(ORDERS_EACH):
            key = params["row"]["order_id"]
            try:
                outcomes.append((key, bool(run(params))))
            except TransientError:  # a deadlock or a busy database: nothing written
                outcomes.append((key, None))
        return outcomes
    finally:
        model.close()


def check_all_or_nothing(model_class: type[DataModel], endpoint: Endpoint) -> None:
    schema = _scarce(shipped("orders")[0])
    with loaded(model_class, endpoint, schema) as (model, _):
        before: dict[Any, Any] = {p["product_id"]: p["stock"] for p in model.dump("products")}
        results: list[list[tuple[int, bool | None]]] = [[] for _ in range(CONNECTIONS)]

        def work(connection: int) -> None:
            results[connection] = _place_orders(model_class, endpoint, schema, connection)

        threads = [threading.Thread(target=work, args=(c,)) for c in range(CONNECTIONS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        outcomes = dict(o for per_connection in results for o in per_connection)
        assert len(outcomes) == CONNECTIONS * ORDERS_EACH
        after: dict[Any, Any] = {p["product_id"]: p["stock"] for p in model.dump("products")}
        orders: set[Any] = {o["order_id"] for o in model.dump("orders")}
        lines = model.dump("order_lines")

    committed = {k for k, ok in outcomes.items() if ok}
    new_orders = {k for k in orders if k >= schema.entities["orders"].rows}
    assert new_orders == committed
    assert 0 < len(committed) < len(outcomes)  # some ran short of stock
    assert all(stock >= 0 for stock in after.values())
    taken: dict[Any, int] = {}
    for line in lines:
        if line["order_id"] in committed:
            product: Any = line["product_id"]
            quantity: Any = line["quantity"]
            taken[product] = taken.get(product, 0) + int(quantity)
    assert {p: before[p] - after[p] for p in before} == {p: taken.get(p, 0) for p in before}


@pytest.fixture(params=["sqlite", "duckdb"])
def embedded(request: pytest.FixtureRequest) -> Iterator[Endpoint]:
    with EmbeddedProvisioner(engine_spec(request.param)) as endpoint:
        yield endpoint


def test_normalised_on_embedded_engines(embedded: Endpoint) -> None:
    check_all_or_nothing(NormalisedModel, embedded)


@pytest.mark.docker
@pytest.mark.parametrize("engine", ["postgres", "mariadb"])
def test_normalised_on_servers(engine: str, servers: ServerPool) -> None:
    check_all_or_nothing(NormalisedModel, servers.endpoint(engine))


@pytest.mark.docker
def test_jsonb_on_postgres(servers: ServerPool) -> None:
    check_all_or_nothing(JsonbModel, servers.endpoint("postgres"))


@pytest.mark.docker
@pytest.mark.parametrize("engine", ["postgres", "mariadb"])
def test_connections_may_set_up_at_once(engine: str, servers: ServerPool) -> None:
    """Every connection calls setup; those racing to create the same tables all succeed."""
    endpoint = servers.endpoint(engine)
    schema = shipped("orders")[0]
    first = NormalisedModel()
    first.connect(endpoint, {})
    first.teardown(schema)
    failures: list[BaseException] = []
    barrier = threading.Barrier(CONNECTIONS)

    def set_up() -> None:
        model = NormalisedModel()
        model.connect(endpoint, {})
        try:
            barrier.wait()
            model.setup(schema)
        except BaseException as error:  # collected for the assertion below
            failures.append(error)
        finally:
            model.close()

    threads = [threading.Thread(target=set_up) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert failures == []
    finally:
        first.teardown(schema)
        first.close()
