"""Sweep points and the run options of a trial at a point."""

from __future__ import annotations

import pytest

from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.provisioning import EngineOptions
from bakeoff.harness.options import RunOptions
from bakeoff.harness.plan import plan_trials
from bakeoff.harness.points import expand, options_at, sweep_points
from bakeoff.workloads.loader import load_workload, shipped_workloads_dir


def test_points_combine_the_axes_given_cpus_outermost_rates_innermost() -> None:
    assert sweep_points(connections=[1, 2]) == [{"connections": 1.0}, {"connections": 2.0}]
    assert sweep_points(connections=[4], rates=[100, 200], cpus=[1, 2]) == [
        {"cpus": 1.0, "connections": 4.0, "rate": 100.0},
        {"cpus": 1.0, "connections": 4.0, "rate": 200.0},
        {"cpus": 2.0, "connections": 4.0, "rate": 100.0},
        {"cpus": 2.0, "connections": 4.0, "rate": 200.0},
    ]


@pytest.mark.parametrize(
    ("axes", "message"),
    [
        ({}, "at least one"),
        ({"connections": [1, 1]}, "given twice"),
        ({"rates": [0.0]}, "must be positive"),
    ],
)
def test_a_sweep_that_cannot_run_is_refused(axes: dict[str, list[float]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sweep_points(**axes)  # type: ignore[arg-type]


def test_a_point_sets_the_split_the_rate_and_the_cpu_limit() -> None:
    base = RunOptions(engine_options=EngineOptions(memory="1g"))
    at = options_at(base, {"connections": 8, "rate": 500.0, "cpus": 1.5}, cores=2)
    assert (at.processes, at.clients, at.connections) == (2, 4, 8)
    assert at.rate == 500.0
    assert at.engine_options.cpus == 1.5 and at.engine_options.memory == "1g"
    assert options_at(base, {"connections": 8}, cores=1).processes == 1
    with pytest.raises(ValueError, match="whole number"):
        options_at(base, {"connections": 2.5}, cores=2)
    with pytest.raises(ValueError, match="a point sets only"):
        options_at(base, {"threads": 2}, cores=2)


def test_expanded_trials_alternate_engines_at_each_point_and_repeat_the_sweep() -> None:
    workload = load_workload(shipped_workloads_dir() / "ycsb-c.yaml")
    base = plan_trials([(workload, None)], [engine_spec("sqlite"), engine_spec("duckdb")])
    points = sweep_points(connections=[1, 4])
    trials = expand(base, points, RunOptions(), repeat=2, cores=2)
    assert [(t.index, t.repetition, t.label, t.point["connections"]) for t in trials] == [
        (0, 0, "sqlite", 1.0),
        (1, 0, "duckdb", 1.0),
        (2, 0, "sqlite", 4.0),
        (3, 0, "duckdb", 4.0),
        (4, 1, "sqlite", 1.0),
        (5, 1, "duckdb", 1.0),
        (6, 1, "sqlite", 4.0),
        (7, 1, "duckdb", 4.0),
    ]
    assert all(t.options is not None for t in trials)
    assert [t.options.connections for t in trials if t.options] == [1, 1, 4, 4] * 2
    assert trials[2].progress_label == "ycsb-c on SQLite at connections 4"
