"""The harness explains each query shape of the workload after the load and after the
run, stores the plans with the trial, and never lets explaining fail a trial."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from bakeoff.adapters.noop import NoopAdapter
from bakeoff.adapters.protocol import Capability
from bakeoff.adapters.sql import SqlAdapter
from bakeoff.api import run_benchmark
from bakeoff.core.query_plans import AccessPath, Moment, QueryPlan, QueryShape
from bakeoff.engines.catalog import engine_spec
from bakeoff.harness.plan import Trial
from bakeoff.harness.query_plans import explain_shapes, query_shapes
from bakeoff.results.query_plans import read_plans
from bakeoff.workloads.loader import load_workload, resolve_workload
from bakeoff.workloads.model import Workload


def _workload(name: str) -> Workload:
    return load_workload(resolve_workload(name))


def test_one_shape_per_adapter_method_the_operations_call() -> None:
    shapes = {s.name: s for s in query_shapes(_workload("ycsb-f"))}
    assert set(shapes) == {"read", "update"}
    assert shapes["read"].operations == ("read", "read_modify_write")
    assert shapes["update"].operations == ("read_modify_write",)
    assert shapes["update"].writes and not shapes["read"].writes
    assert len(shapes["update"].values) == 1

    ycsb_e = {s.name: s for s in query_shapes(_workload("ycsb-e"))}
    assert set(ycsb_e) == {"scan", "insert"}
    assert ycsb_e["scan"].count == _workload("ycsb-e").scan_length.maximum
    assert ycsb_e["insert"].key != ycsb_e["scan"].key  # a key no load or run stores
    assert len(ycsb_e["insert"].values) == len(_workload("ycsb-e").fields.names())


class _Failing(SqlAdapter):
    name: ClassVar[str] = "sql"

    def explain(self, table: str, shape: QueryShape) -> QueryPlan:
        raise RuntimeError("no plan today")


def _trial(adapter: type[Any]) -> Trial:
    return Trial(
        index=0,
        repetition=0,
        engine=engine_spec("sqlite"),
        workload=_workload("ycsb-c"),
        workload_file=None,
        adapter=adapter,
    )


def test_a_shape_that_fails_to_explain_is_kept_as_unknown() -> None:
    [plan] = explain_shapes(_Failing(), _trial(_Failing), Moment.AFTER_RUN)
    assert plan.access_path is AccessPath.UNKNOWN
    assert plan.moment == "after-run"
    assert plan.note == "explain failed: RuntimeError: no plan today"


def test_an_adapter_without_explain_has_no_plans() -> None:
    assert Capability.EXPLAIN not in NoopAdapter.capabilities
    assert explain_shapes(NoopAdapter(), _trial(NoopAdapter), Moment.AFTER_LOAD) == []


def test_a_run_stores_its_plans_after_load_and_after_run(tmp_path: Path) -> None:
    result = run_benchmark(["ycsb-c"], ["sqlite"], output=tmp_path, records=200, operations=200)

    [trial] = read_plans(result.path)
    assert (trial.engine, trial.workload) == ("sqlite", "ycsb-c")
    assert [(p.shape, p.moment) for p in trial.plans] == [
        ("read", "after-load"),
        ("read", "after-run"),
    ]
    assert {p.access_path for p in trial.plans} == {AccessPath.INDEX_LOOKUP}


def test_a_schema_workload_explains_each_read_operation(tmp_path: Path) -> None:
    result = run_benchmark(["orders"], ["sqlite"], output=tmp_path, operations=200)

    [trial] = read_plans(result.path)
    after_run = {p.shape: p for p in trial.plans if p.moment == "after-run"}
    assert after_run["get_order"].access_path is AccessPath.INDEX_LOOKUP
    assert after_run["orders_by_status"].index == "ix_orders_status"
    assert after_run["revenue_per_day"].full_scan  # an aggregate over every order
