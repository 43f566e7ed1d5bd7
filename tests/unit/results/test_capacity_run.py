"""Driving a capacity search through the runner's contract, on simulated trials and a
simulated clock: the trials it asks for, the capacity block it writes, the budget that
bounds it, and resuming from what an earlier run recorded."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bakeoff.core.histogram import encode, new_histogram, record_bulk
from bakeoff.core.measures import IntervalRow, LatencyKind, Phase
from bakeoff.engines.catalog import engine_spec
from bakeoff.harness.options import RunOptions
from bakeoff.harness.plan import Trial, plan_trials
from bakeoff.harness.trial import PhaseRecord, TrialRecord
from bakeoff.results.capacity_run import CapacitySearch, Resumed, resumed_from
from bakeoff.results.capacity_search import SearchRule
from bakeoff.results.slo import Slo
from bakeoff.results.writer import RunWriter
from bakeoff.workloads.loader import load_workload, shipped_workloads_dir

CAPACITY = {"sqlite": 4000.0, "duckdb": 900.0}
STEP_S = 10.0
"""What every simulated step takes on the simulated clock."""


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeWriter:
    def __init__(self) -> None:
        self.trials: list[TrialRecord] = []
        self.sections: dict[str, Mapping[str, object]] = {}
        self.status = ""

    def add_phase(self, phase: PhaseRecord) -> None:
        pass

    def add_trial(self, trial: TrialRecord) -> None:
        self.trials.append(trial)

    def set_section(self, name: str, value: Mapping[str, object]) -> None:
        self.sections[name] = value

    def finish(self, status: str) -> object:
        self.status = status
        return status


def _trials() -> list[Trial]:
    workload = load_workload(shipped_workloads_dir() / "ycsb-c.yaml")
    return plan_trials([(workload, None)], [engine_spec("sqlite"), engine_spec("duckdb")])


def _rows(latency_us: float, count: int) -> list[IntervalRow]:
    histogram = new_histogram()
    record_bulk(histogram, np.full(count, int(latency_us * 1000), dtype=np.int64))
    return [
        IntervalRow(Phase.MEASURE, "read", kind, 0, 0.0, 5.0, count, 0, 0, 0, 0, encode(histogram))
        for kind in (LatencyKind.SERVICE, LatencyKind.RESPONSE)
    ]


def simulate(trial: Trial) -> TrialRecord:
    """A step on an engine whose p99 passes 2 ms at 90 % of its capacity."""
    assert trial.options is not None and trial.options.rate is not None
    rate, capacity = trial.options.rate, CAPACITY[trial.label]
    utilisation = rate / capacity
    latency = 200.0 / (1 - utilisation) if utilisation < 1 else 1e6
    achieved = min(rate, capacity)
    now = datetime.now(UTC)
    return TrialRecord(
        trial=trial.index, repetition=trial.repetition, engine=trial.label,
        engine_version="sim", workload=trial.workload, endpoint_display_url="sim://",
        settings={}, provenance={}, adapter="sql", connections=trial.options.connections,
        seed=1, started_at=now, ended_at=now, status="ok", error=None, verify={},
        rows=_rows(latency, int(achieved * 5)), point=trial.point,
        load_generator={"measure": {"wall_s": 5.0, "achieved_ops_per_s": achieved}},
    )  # fmt: skip


def drive(search: CapacitySearch, clock: Clock) -> None:
    """What `run_trials` does with it: run each trial it asks for, then hand it back."""
    for trial in search:
        clock.now += STEP_S
        search.add_trial(simulate(trial))
    search.finish("ok")


def _search(budget_s: float, writer: FakeWriter, clock: Clock, **kw: object) -> CapacitySearch:
    return CapacitySearch(
        _trials(), RunOptions(), writer, slo=Slo({"p99": 2000.0}),
        rule=SearchRule(start_rate=500.0), budget_s=budget_s, connections=4, cores=2,
        clock=clock, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def test_each_engine_gets_a_maximum_within_the_precision() -> None:
    writer, clock = FakeWriter(), Clock()
    drive(_search(10_000.0, writer, clock), clock)
    block = writer.sections["capacity"]
    assert block["slo"] == {
        "text": "p99<=2ms,errors<=1%", "percentiles_us": {"p99": 2000.0}, "max_error_rate": 0.01
    }  # fmt: skip
    assert block["budget_s"] == 10_000.0 and "bisect" in str(block["method"])
    engines = block["engines"]
    assert isinstance(engines, dict) and list(engines) == ["sqlite", "duckdb"]
    for label, capacity in CAPACITY.items():
        entry = engines[label]
        assert entry["converged"] is True and entry["connections"] == 4
        assert entry["low"] == entry["max_rate"]
        assert entry["low"] <= 0.9 * capacity < entry["high"] <= entry["low"] * 1.06
        steps = entry["steps"]
        assert [s["step"] for s in steps] == list(range(1, len(steps) + 1))
        assert all(set(s["percentiles_us"]) == {"p50", "p90", "p99", "p999"} for s in steps)
        assert all(s["reasons"] == [] for s in steps if s["accepted"])
        assert all(s["reasons"] for s in steps if not s["accepted"])
    # Every step is a trial tagged with its rate, numbered once across engines.
    assert [t.trial for t in writer.trials] == list(range(len(writer.trials)))
    assert all(set(t.point) == {"rate"} for t in writer.trials)
    assert all(t.connections == 4 for t in writer.trials)


def test_the_budget_is_split_and_a_search_out_of_time_is_not_converged() -> None:
    writer, clock = FakeWriter(), Clock()
    # 3 % is kept for removing the engines and writing the run: 50.4 s each.
    drive(_search(104.0, writer, clock), clock)
    engines = writer.sections["capacity"]["engines"]
    assert isinstance(engines, dict)
    for entry in engines.values():
        assert entry["converged"] is False
        # Five steps of 10 s each, the last spent confirming what held.
        assert len(entry["steps"]) == 5
        assert entry["max_rate"] is not None
    assert clock.now <= 104.0 * 0.97


def test_a_search_resumes_from_the_run_it_left(tmp_path: Path) -> None:
    writer, clock = FakeWriter(), Clock()
    drive(_search(104.0, writer, clock), clock)
    real = RunWriter(tmp_path, run_id="first")
    real.set_section("capacity", writer.sections["capacity"])
    for record in writer.trials:
        real.add_trial(record)
    first = real.finish("ok")

    resumed = resumed_from(first)
    assert isinstance(resumed, Resumed) and resumed.run_id == "first"
    assert resumed.next_trial == len(writer.trials)
    again, clock = FakeWriter(), Clock()
    drive(_search(10_000.0, again, clock, resumed=resumed), clock)
    block = again.sections["capacity"]
    assert block["resumed_from"] == "first"
    engines = block["engines"]
    assert isinstance(engines, dict)
    for label, entry in engines.items():
        earlier = [s for s in entry["steps"] if s.get("run") == "first"]
        assert len(earlier) == 5 and entry["converged"] is True
        assert entry["low"] <= 0.9 * CAPACITY[label] < entry["high"]
    assert min(t.trial for t in again.trials) == resumed.next_trial
