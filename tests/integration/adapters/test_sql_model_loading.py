"""A load larger than one multi-row INSERT (DuckDB's path: `sql_session_base`) stores
every row once, as the normalised model stores it on the other embedded engine."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bakeoff.adapters.sql_models import NormalisedModel
from bakeoff.core.endpoint import Endpoint
from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.embedded import EmbeddedProvisioner
from bakeoff.testing.model_conformance import shipped
from bakeoff.workloads.answers import canonical_row
from bakeoff.workloads.rows import rows_for_keys


@pytest.fixture(params=["sqlite", "duckdb"])
def embedded(request: pytest.FixtureRequest) -> Iterator[Endpoint]:
    with EmbeddedProvisioner(engine_spec(request.param)) as endpoint:
        yield endpoint


def test_a_large_load_stores_every_row_once(embedded: Endpoint) -> None:
    schema, _ = shipped("orders")
    orders = rows_for_keys(schema, "orders", range(700), seed=3)  # lines: several chunks
    model = NormalisedModel()
    model.connect(embedded, {})
    try:
        model.setup(schema)
        model.load("orders", orders)
        stored = [canonical_row(schema, "orders", r) for r in model.dump("orders")]
        lines = model.dump("order_lines")
    finally:
        model.teardown(schema)
        model.close()
    bare = [{k: v for k, v in o.items() if k != "order_lines"} for o in orders]
    assert stored == [canonical_row(schema, "orders", r) for r in bare]
    children: list[Any] = [o["order_lines"] for o in orders]
    assert len(lines) == sum(len(c) for c in children)
