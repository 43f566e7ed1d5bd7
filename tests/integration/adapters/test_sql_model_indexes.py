"""PostgreSQL answers a customer's orders in a date range from the (partition, ordering)
index under both SQL models: a column index in normalised tables, an expression index on
the typed JSONB members in documents, which serves only if the query's expressions are
the index's exactly. Told by the server's own index statistics."""

from __future__ import annotations

import time
from typing import Any

import pytest
import sqlalchemy as sa

from bakeoff.adapters.data_model import DataModel
from bakeoff.adapters.sql_jsonb import JsonbModel
from bakeoff.adapters.sql_models import NormalisedModel
from bakeoff.core.endpoint import Endpoint
from bakeoff.testing.model_conformance import SEED, loaded
from bakeoff.workloads.loader import load_workload, shipped_workloads_dir
from bakeoff.workloads.parameters import ParameterSource
from tests.conftest import ServerPool

pytestmark = pytest.mark.docker


def _index_scans(endpoint: Endpoint, index: str) -> int:
    engine = sa.create_engine(endpoint.url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                sa.text("SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = :i"),
                {"i": index},
            ).scalar()
    finally:
        engine.dispose()
    return int(found or 0)


@pytest.mark.parametrize(
    ("model_class", "index"),
    [
        (NormalisedModel, "ix_orders_customer_id_placed_at"),
        (JsonbModel, "ix_orders_doc_customer_id_placed_at"),
    ],
)
def test_a_customers_orders_come_from_the_partition_ordering_index(
    model_class: type[DataModel], index: str, servers: ServerPool
) -> None:
    endpoint = servers.endpoint("postgres")
    workload = load_workload(shipped_workloads_dir() / "orders.yaml")
    schema = workload.data_schema()
    assert schema is not None
    operations: Any = workload.operations
    name, operation = next((n, op) for n, op in operations.items() if n == "customer_orders")
    with loaded(model_class, endpoint, schema):
        reader = model_class()  # its own connection: its statistics reach the server as it ends
        reader.connect(endpoint, {})
        try:
            reader.setup(schema)
            run = reader.prepare(name, operation)
            source = ParameterSource(
                schema, name, operation, seed=SEED, connection=0, connections=1
            )
            for params in source.draw(20):
                run(params)
        finally:
            reader.close()
        deadline = time.monotonic() + 5
        while _index_scans(endpoint, index) < 20 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _index_scans(endpoint, index) >= 20
