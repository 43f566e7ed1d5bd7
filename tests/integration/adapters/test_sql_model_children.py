"""A child entity is found, ranged over and aggregated in SQL under both SQL models
(normalised: its own table; JSONB: the unnested arrays of its parents' documents), and
answers as the contract's reference does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bakeoff.adapters.data_model import DataModel
from bakeoff.adapters.sql_jsonb import JsonbModel
from bakeoff.adapters.sql_models import NormalisedModel
from bakeoff.core.endpoint import Endpoint
from bakeoff.core.schema import GroupBy, OperationKind, OperationSpec, Window
from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.embedded import EmbeddedProvisioner
from bakeoff.testing.model_conformance import SEED, compare, loaded, shipped
from bakeoff.workloads.parameters import ParameterSource
from tests.conftest import ServerPool

ON_LINES = {
    "lines_of_product": OperationSpec(
        kind=OperationKind.FIND, entity="order_lines", field="product_id", limit=7, share=0
    ),
    "big_lines": OperationSpec(
        kind=OperationKind.RANGE,
        entity="order_lines",
        window=Window(field="quantity", span=2),
        order="desc",
        limit=9,
        share=0,
    ),
    "priciest_line_per_product": OperationSpec(
        kind=OperationKind.AGGREGATE,
        entity="order_lines",
        function="max",
        field="price",
        group_by=GroupBy(field="product_id"),
        share=0,
    ),
    "average_quantity": OperationSpec(
        kind=OperationKind.AGGREGATE,
        entity="order_lines",
        function="avg",
        field="quantity",
        share=0,
    ),
}


def check_children(model_class: type[DataModel], endpoint: Endpoint) -> None:
    schema, _ = shipped("orders")
    with loaded(model_class, endpoint, schema) as (model, reference):
        for name, operation in ON_LINES.items():
            source = ParameterSource(
                schema, name, operation, seed=SEED, connection=0, connections=1
            )
            for params in source.draw(5):
                compare(model, reference, schema, name, operation, params)


@pytest.fixture
def sqlite() -> Iterator[Endpoint]:
    with EmbeddedProvisioner(engine_spec("sqlite")) as endpoint:
        yield endpoint


def test_normalised_on_sqlite(sqlite: Endpoint) -> None:
    check_children(NormalisedModel, sqlite)


@pytest.mark.docker
@pytest.mark.parametrize("model_class", [NormalisedModel, JsonbModel])
def test_on_postgres(model_class: type[DataModel], servers: ServerPool) -> None:
    check_children(model_class, servers.endpoint("postgres"))
