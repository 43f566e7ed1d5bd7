"""Query plans on real engines: the ycsb-c read (and the other YCSB shapes) explained on
each engine that declares EXPLAIN, with 200 records loaded (seconds per engine).

What each engine shows for the ycsb-c read, by a primary-key equality: PostgreSQL and
MariaDB an index lookup on their primary key, SQLite a search of its primary key's
automatic index, DuckDB an Index Scan of its ART index (under EXPLAIN ANALYZE only), and
FerretDB v1.24 on SQLite a full scan: it does not use its ``_id`` index. Cassandra reads
the one partition of the key. Explaining a write changes no data.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bakeoff.adapters.cassandra import CassandraAdapter
from bakeoff.adapters.mongo import MongoAdapter
from bakeoff.adapters.postgres import PostgresAdapter
from bakeoff.adapters.protocol import Adapter, Capability, Endpoint, ExplainQueries
from bakeoff.adapters.sql import SqlAdapter
from bakeoff.api import run_benchmark
from bakeoff.core.query_plans import AccessPath, QueryPlan
from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.embedded import EmbeddedProvisioner
from bakeoff.engines.provisioning import EngineOptions
from bakeoff.harness.query_plans import query_shapes, sample_key
from bakeoff.results.query_plans import read_plans
from bakeoff.workloads.loader import load_workload, resolve_workload
from bakeoff.workloads.model import Workload
from tests.conftest import ServerPool

RECORDS = 200

READ_PATH = {
    "postgres": (AccessPath.INDEX_LOOKUP, "usertable_pkey"),
    "mariadb": (AccessPath.INDEX_LOOKUP, "PRIMARY"),
    "sqlite": (AccessPath.INDEX_LOOKUP, "sqlite_autoindex_usertable_1"),
    "duckdb": (AccessPath.INDEX_LOOKUP, None),
    "ferretdb": (AccessPath.FULL_SCAN, None),
    "cassandra": (AccessPath.KEY_LOOKUP, None),
}
ADAPTERS: dict[str, type[Adapter]] = {
    "postgres": PostgresAdapter,
    "mariadb": SqlAdapter,
    "sqlite": SqlAdapter,
    "duckdb": SqlAdapter,
    "ferretdb": MongoAdapter,
    "cassandra": CassandraAdapter,
}


def _workload(name: str) -> Workload:
    workload = load_workload(resolve_workload(name))
    return workload.model_copy(update={"records": RECORDS})


@pytest.fixture(params=list(READ_PATH))
def engine(request: pytest.FixtureRequest, servers: ServerPool) -> Iterator[tuple[str, Endpoint]]:
    name = str(request.param)
    if name in ("sqlite", "duckdb"):
        with EmbeddedProvisioner(engine_spec(name)) as endpoint:
            yield name, endpoint
        return
    request.applymarker(pytest.mark.docker)
    yield name, servers.endpoint(name)


def _loaded(name: str, endpoint: Endpoint, workload: Workload) -> Adapter:
    adapter = ADAPTERS[name]()
    adapter.connect(endpoint, {})
    table = workload.table_spec()
    adapter.teardown(table)
    adapter.setup(table)
    return adapter


def _load(adapter: Adapter, workload: Workload) -> None:
    fields = workload.table_spec().field_names
    rows = [(sample_key(workload, n), dict.fromkeys(fields, "v" * 10)) for n in range(RECORDS)]
    adapter.insert_batch(workload.table, rows)  # type: ignore[attr-defined]


def _plans(adapter: Adapter, workload: Workload) -> dict[str, QueryPlan]:
    assert Capability.EXPLAIN in adapter.capabilities
    assert isinstance(adapter, ExplainQueries)
    return {s.name: adapter.explain(workload.table, s) for s in query_shapes(workload)}


def test_the_ycsb_c_read_plan(engine: tuple[str, Endpoint]) -> None:
    name, endpoint = engine
    workload = _workload("ycsb-c")
    adapter = _loaded(name, endpoint, workload)
    try:
        _load(adapter, workload)
        plan = _plans(adapter, workload)["read"]
    finally:
        adapter.teardown(workload.table_spec())
        adapter.close()
    print(
        f"{name}: {plan.access_path} {plan.detail!r} index={plan.index} "
        f"est={plan.estimated_rows} actual={plan.actual_rows} note={plan.note}"
    )
    path, index = READ_PATH[name]
    assert plan.access_path is path, plan.raw
    if index is not None:
        assert plan.index == index
    assert plan.raw
    assert plan.full_scan is (path is AccessPath.FULL_SCAN)


def test_explaining_writes_changes_nothing(engine: tuple[str, Endpoint]) -> None:
    name, endpoint = engine
    workload = _workload("ycsb-a").model_copy(
        update={
            "operations": _workload("ycsb-a").operations.model_copy(
                update={"read": 0.4, "update": 0.2, "insert": 0.2, "delete": 0.2}
            )
        }
    )
    adapter = _loaded(name, endpoint, workload)
    try:
        _load(adapter, workload)
        shapes = query_shapes(workload)
        plans = _plans(adapter, workload)
        key = shapes[0].key
        after = adapter.read(workload.table, key, None)
        count = adapter.count_records(workload.table)  # type: ignore[attr-defined]
    finally:
        adapter.teardown(workload.table_spec())
        adapter.close()
    for shape, plan in plans.items():
        print(f"{name} {shape}: {plan.access_path} {plan.detail!r} {plan.note or ''}")
    assert set(plans) == {"read", "update", "insert", "delete"}
    assert after is not None and set(after.values()) == {"v" * 10}
    assert count == RECORDS


# -- schema workloads: each data model family's read operations ------------------------

MODEL_GET_ORDER = {
    "postgres": AccessPath.INDEX_LOOKUP,
    "ferretdb": AccessPath.FULL_SCAN,  # FerretDB does not push order_id down
    "cassandra": AccessPath.KEY_LOOKUP,
}


@pytest.mark.docker
@pytest.mark.parametrize("name", list(MODEL_GET_ORDER))
def test_schema_workload_read_operations_are_explained(
    name: str, servers: ServerPool, tmp_path: Path
) -> None:
    url = servers.endpoint(name).url
    result = run_benchmark(
        ["orders"],
        [name],
        output=tmp_path,
        operations=100,
        engine_options=EngineOptions(urls={name: url}),
    )

    [trial] = read_plans(result.path)
    plans = {p.shape: p for p in trial.plans if p.moment == "after-run"}
    for plan in plans.values():
        print(f"{trial.engine} {plan.shape}: {plan.access_path} {plan.detail!r} {plan.index}")
    assert plans["get_order"].access_path is MODEL_GET_ORDER[name]
    assert {"customer_orders", "orders_by_status", "revenue_per_day"} <= set(plans)
