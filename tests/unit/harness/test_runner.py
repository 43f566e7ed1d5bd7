"""The runner's phases, failure handling and result hand-over, on the real SQLite engine."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from bakeoff.adapters.errors import FatalError, TransientError
from bakeoff.adapters.protocol import Record
from bakeoff.adapters.sql import SqlAdapter
from bakeoff.core.histogram import decode
from bakeoff.engines.base import Provisioner, ProvisioningError
from bakeoff.engines.catalog import EngineSpec, engine_spec
from bakeoff.engines.embedded import EmbeddedProvisioner
from bakeoff.engines.provisioning import EngineOptions
from bakeoff.harness import runner as runner_module
from bakeoff.harness.options import RunOptions
from bakeoff.harness.plan import Trial, plan_trials
from bakeoff.harness.points import at_point, options_at
from bakeoff.harness.run import ProvisionerFactory, run_trials
from bakeoff.harness.runner import TrialRunner
from bakeoff.harness.steady_state import SteadyStateMonitor, SteadyStateRule
from bakeoff.harness.trial import PhaseRecord
from bakeoff.results import load, load_manifest, summarize
from bakeoff.results.writer import RunWriter
from bakeoff.workloads.loader import load_workload, shipped_workloads_dir
from bakeoff.workloads.model import Workload


def ycsb(name: str, **overrides: Any) -> Workload:
    workload = load_workload(shipped_workloads_dir() / f"{name}.yaml")
    return workload.with_overrides(**overrides)


class FailingAfterSqlAdapter(SqlAdapter):
    """The real SQL adapter whose connection "dies" after a number of updates."""

    budget = 50

    def update(self, table: str, key: str, values: Mapping[str, str]) -> None:
        FailingAfterSqlAdapter.budget -= 1
        if FailingAfterSqlAdapter.budget < 0:
            raise FatalError("connection lost")
        super().update(table, key, values)


def embedded(tmp_path: Path) -> ProvisionerFactory:
    def factory(spec: EngineSpec, options: EngineOptions | None = None) -> Provisioner:
        return EmbeddedProvisioner(spec, parent_dir=tmp_path)

    return factory


def test_phases_produce_load_and_measure_rows(tmp_path: Path) -> None:
    workload = ycsb("ycsb-a", records=300, operation_count=900)
    (trial,) = plan_trials([(workload, None)], [engine_spec("sqlite")])
    record = TrialRunner(RunOptions(clients=3)).run(
        trial, EmbeddedProvisioner(engine_spec("sqlite"), parent_dir=tmp_path)
    )
    assert record.status == "ok", record.error
    phases = {row.phase.value for row in record.rows}
    assert phases == {"load", "measure"}
    measured = sum(r.count + r.not_found for r in record.rows if r.phase.value == "measure")
    assert measured == 900
    assert record.verify["ok"] is True
    assert record.verify["counted_records"] == 300
    assert record.engine_version.startswith("SQLite")


def test_warmup_is_tagged_separately(tmp_path: Path) -> None:
    workload = ycsb("ycsb-c", records=100, operation_count=200)
    workload = Workload.model_validate({**workload.model_dump(), "warmup_operations": 150})
    (trial,) = plan_trials([(workload, None)], [engine_spec("sqlite")])
    record = TrialRunner(RunOptions()).run(
        trial, EmbeddedProvisioner(engine_spec("sqlite"), parent_dir=tmp_path)
    )
    by_phase: dict[str, int] = {}
    for row in record.rows:
        by_phase[row.phase.value] = by_phase.get(row.phase.value, 0) + row.count
    assert by_phase == {"load": 1, "warmup": 150, "measure": 200}


def test_inserting_workload_verifies_the_new_count(tmp_path: Path) -> None:
    workload = ycsb("ycsb-d", records=200, operation_count=1000)
    (trial,) = plan_trials([(workload, None)], [engine_spec("sqlite")])
    record = TrialRunner(RunOptions(clients=2)).run(
        trial, EmbeddedProvisioner(engine_spec("sqlite"), parent_dir=tmp_path)
    )
    inserted = sum(
        r.count for r in record.rows if r.operation == "insert" and r.phase.value == "measure"
    )
    assert inserted > 0
    assert record.verify["counted_records"] == 200 + inserted
    assert record.status == "ok"


def test_fatal_error_fails_the_trial_and_the_next_engine_still_runs(tmp_path: Path) -> None:
    FailingAfterSqlAdapter.budget = 50
    workload = ycsb("ycsb-a", records=100, operation_count=500)
    sqlite, duckdb = engine_spec("sqlite"), engine_spec("duckdb")
    trials = plan_trials([(workload, None)], [sqlite, duckdb])
    broken = Trial(**{**trials[0].__dict__, "adapter": FailingAfterSqlAdapter})
    writer = RunWriter(tmp_path / "results")
    records = run_trials([broken, trials[1]], embedded(tmp_path), writer, TrialRunner(RunOptions()))
    assert [r.status for r in records] == ["failed", "ok"]
    assert "connection lost" in (records[0].error or "")
    # What the failed trial measured before failing is kept.
    frame = load(writer.path_final)
    assert set(frame["engine"]) == {"sqlite", "duckdb"}
    assert load_manifest(writer.path_final)["status"] == "partial"


def test_provisioning_failure_is_recorded(tmp_path: Path) -> None:
    workload = ycsb("ycsb-c", records=10, operation_count=10)
    trials = plan_trials([(workload, None)], [engine_spec("sqlite")])

    def refuse(spec: EngineSpec, options: EngineOptions | None = None) -> Provisioner:
        raise ProvisioningError(f"{spec.name} cannot start here")

    writer = RunWriter(tmp_path / "results")
    (record,) = run_trials(trials, refuse, writer, TrialRunner(RunOptions()))
    assert record.status == "failed" and "cannot start" in (record.error or "")
    assert load_manifest(writer.path_final)["status"] == "failed"


def test_plan_interleaves_repetitions() -> None:
    workload = ycsb("ycsb-a")
    trials = plan_trials(
        [(workload, None)], [engine_spec("sqlite"), engine_spec("duckdb")], repeat=2
    )
    assert [(t.repetition, t.engine.name) for t in trials] == [
        (0, "sqlite"),
        (0, "duckdb"),
        (1, "sqlite"),
        (1, "duckdb"),
    ]


def test_keep_leaves_the_database_file(tmp_path: Path) -> None:
    workload = ycsb("ycsb-c", records=20, operation_count=20)
    (trial,) = plan_trials([(workload, None)], [engine_spec("sqlite")])
    provisioner = EmbeddedProvisioner(engine_spec("sqlite"), keep=True, parent_dir=tmp_path)
    record = TrialRunner(RunOptions()).run(trial, provisioner)
    assert Path(record.provenance["database_file"]).exists()


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_scan_workload_runs(tmp_path: Path, engine: str) -> None:
    workload = ycsb("ycsb-e", records=200, operation_count=300)
    (trial,) = plan_trials([(workload, None)], [engine_spec(engine)])
    record = TrialRunner(RunOptions()).run(
        trial, EmbeddedProvisioner(engine_spec(engine), parent_dir=tmp_path)
    )
    assert record.status == "ok", record.error
    assert {r.operation for r in record.rows if r.phase.value == "measure"} == {"scan", "insert"}


def test_worker_processes_merge_exactly(tmp_path: Path) -> None:
    """2 processes × 2 clients: every operation is counted once, rows merged per interval."""
    workload = ycsb("ycsb-b", records=400, operation_count=2000)
    (trial,) = plan_trials([(workload, None)], [engine_spec("sqlite")])
    record = TrialRunner(RunOptions(processes=2, clients=2)).run(
        trial, EmbeddedProvisioner(engine_spec("sqlite"), parent_dir=tmp_path)
    )
    assert record.status == "ok", record.error
    measured = [r for r in record.rows if r.phase.value == "measure"]
    assert sum(r.count + r.not_found + r.errors_transient for r in measured) == 2000
    keys = [(r.operation, r.latency_kind, r.interval) for r in measured]
    assert len(keys) == len(set(keys)), "rows of different workers were not merged"
    lg = record.load_generator
    assert lg["processes"] == 2 and lg["clients_per_process"] == 2
    measure = lg["measure"]
    assert isinstance(measure, dict)
    assert measure["operations"] == 2000
    assert len(measure["client_process_utilisation"]) == 2
    assert record.verify["counted_records"] == 400


def test_open_loop_keeps_the_rate_and_records_both_latencies(tmp_path: Path) -> None:
    workload = ycsb("ycsb-c", records=200)
    workload = workload.with_overrides(duration_s=2.0)
    (trial,) = plan_trials([(workload, None)], [engine_spec("sqlite")])
    record = TrialRunner(RunOptions(clients=2, rate=500.0)).run(
        trial, EmbeddedProvisioner(engine_spec("sqlite"), parent_dir=tmp_path)
    )
    assert record.status == "ok", record.error
    measured = [r for r in record.rows if r.phase.value == "measure"]
    kinds = {r.latency_kind.value for r in measured}
    assert kinds == {"service", "response"}
    service = sum(r.count for r in measured if r.latency_kind.value == "service")
    assert 900 <= service <= 1010  # 500 ops/s for 2 s
    measure = record.load_generator["measure"]
    assert isinstance(measure, dict)
    assert measure["target_ops_per_s"] == 500.0
    assert record.load_generator["loop"] == "open"


def test_reuse_keeps_the_engine_and_the_loaded_data(tmp_path: Path) -> None:
    reads = ycsb("ycsb-c", records=100, operation_count=100)
    inserts = ycsb("ycsb-d", records=100, operation_count=200)
    trials = [
        *plan_trials([(reads, None)], [engine_spec("sqlite")], repeat=2),
        *plan_trials([(inserts, None)], [engine_spec("sqlite")], repeat=2),
    ]
    trials = [Trial(**{**t.__dict__, "index": i}) for i, t in enumerate(trials)]
    started: list[EngineSpec] = []

    def factory(spec: EngineSpec, options: EngineOptions | None = None) -> Provisioner:
        started.append(spec)
        return EmbeddedProvisioner(spec, parent_dir=tmp_path)

    writer = RunWriter(tmp_path / "results")
    records = run_trials(trials, factory, writer, TrialRunner(RunOptions(reuse=True)))
    assert [r.status for r in records] == ["ok"] * 4
    assert len(started) == 1, "one engine instance serves every trial"
    loads = [sum(1 for row in r.rows if row.phase.value == "load") for r in records]
    # ycsb-c loads once and reuses its data; ycsb-d inserts, so it reloads every time.
    assert [r.workload.name for r in records] == ["ycsb-c", "ycsb-c", "ycsb-d", "ycsb-d"]
    assert [n > 0 for n in loads] == [True, False, True, True]
    assert records[1].verify["data"] == "reused from an earlier trial (--reuse)"
    assert records[1].verify["counted_records"] == 100
    # The shared instance is removed at the end of the run.
    assert not any(tmp_path.glob("bakeoff-sqlite-*"))


def test_trials_at_another_cpu_limit_get_their_own_instance_and_load_it(tmp_path: Path) -> None:
    reads = ycsb("ycsb-c", records=100, operation_count=100)
    base = plan_trials([(reads, None)], [engine_spec("sqlite")])
    points = [{"cpus": 1.0}, {"cpus": 2.0}, {"cpus": 1.0}]
    options = RunOptions(reuse=True)
    trials = [
        at_point(base[0], i, 0, point, options_at(options, point, cores=2))
        for i, point in enumerate(points)
    ]
    limits: list[float | None] = []

    def factory(spec: EngineSpec, options: EngineOptions | None = None) -> Provisioner:
        limits.append(options.cpus if options else None)
        return EmbeddedProvisioner(spec, parent_dir=tmp_path)

    writer = RunWriter(tmp_path / "results")
    records = run_trials(trials, factory, writer, TrialRunner(options))
    assert [r.status for r in records] == ["ok"] * 3, [r.error for r in records]
    assert limits == [1.0, 2.0], "one instance per CPU limit, each kept for its trials"
    loads = [sum(1 for row in r.rows if row.phase.value == "load") for r in records]
    assert [n > 0 for n in loads] == [True, True, False]
    assert [r.point for r in records] == points


class PhaseList:
    def __init__(self) -> None:
        self.phases: list[PhaseRecord] = []

    def add_phase(self, phase: PhaseRecord) -> None:
        self.phases.append(phase)


def test_each_phase_is_handed_to_the_journal_as_it_ends(tmp_path: Path) -> None:
    workload = ycsb("ycsb-c", records=100, operation_count=200)
    workload = Workload.model_validate({**workload.model_dump(), "warmup_operations": 50})
    (trial,) = plan_trials([(workload, None)], [engine_spec("sqlite")])
    journal = PhaseList()
    record = TrialRunner(RunOptions(clients=2)).run(
        trial, EmbeddedProvisioner(engine_spec("sqlite"), parent_dir=tmp_path), journal
    )
    assert record.status == "ok", record.error
    assert [p.phase.value for p in journal.phases] == ["load", "warmup", "measure"]
    assert [row for p in journal.phases for row in p.rows] == list(record.rows)
    first = journal.phases[0]
    assert (first.trial, first.repetition, first.engine) == (trial.index, 0, "sqlite")
    assert first.engine_version == record.engine_version


class StallingThenTimingOutSqlAdapter(SqlAdapter):
    """The real SQL adapter whose third read hangs and then times out, as a call to a
    paused engine does."""

    reads = 0

    def read(self, table: str, key: str, fields: Sequence[str] | None) -> Record | None:
        StallingThenTimingOutSqlAdapter.reads += 1
        if StallingThenTimingOutSqlAdapter.reads == 3:
            time.sleep(0.4)
            raise TransientError("timed out")
        return super().read(table, key, fields)


def test_a_stall_ending_in_an_error_is_kept_in_the_error_latencies(tmp_path: Path) -> None:
    StallingThenTimingOutSqlAdapter.reads = 0
    workload = ycsb("ycsb-c", records=50, operation_count=200)
    (trial,) = plan_trials([(workload, None)], [engine_spec("sqlite")])
    stalling = Trial(**{**trial.__dict__, "adapter": StallingThenTimingOutSqlAdapter})
    writer = RunWriter(tmp_path / "results")
    (record,) = run_trials([stalling], embedded(tmp_path), writer, TrialRunner(RunOptions()))
    assert record.status == "ok", record.error

    frame = load(writer.path_final)
    measured = frame[frame["phase"] == "measure"]
    errors = measured[measured["outcome"] == "error:transient"]
    assert int(errors["histogram"].map(lambda h: decode(h).get_total_count()).sum()) == 1
    assert errors["max_us"].max() >= 400_000
    assert int(measured["errors_transient"].sum()) == 1
    summary = summarize(frame)
    read = dict(zip(summary["operation"], summary.to_dict("records"), strict=True))["read"]
    assert read["max_us"] < 400_000  # the successes' latencies only
    assert read["errors"] == 1


@pytest.mark.parametrize("processes", [1, 2])
def test_an_automatic_warmup_stops_when_steady_and_the_measure_runs_whole(
    tmp_path: Path, processes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A quick rule, so the test does not wait for five seconds of steady throughput.
    quick = SteadyStateRule(window=2, max_cv=1.0, max_drift=1.0, max_s=10.0, step_s=0.25)
    monkeypatch.setattr(runner_module, "SteadyStateMonitor", lambda: SteadyStateMonitor(quick))
    workload = ycsb("ycsb-c", records=100, operation_count=300).with_overrides(warmup_s="auto")
    (trial,) = plan_trials([(workload, None)], [engine_spec("sqlite")])
    record = TrialRunner(RunOptions(processes=processes)).run(
        trial, EmbeddedProvisioner(engine_spec("sqlite"), parent_dir=tmp_path)
    )
    assert record.status == "ok", record.error
    steady = record.load_generator["warmup"]["steady_state"]  # type: ignore[index]
    assert steady["stopped"] == "steady"
    assert steady["warmup_s"] < 5.0
    warmed = sum(r.count for r in record.rows if r.phase.value == "warmup")
    assert warmed > 0
    # The stop that ended the warm-up does not end the measured phase (worker processes
    # share one stop flag).
    assert sum(r.count for r in record.rows if r.phase.value == "measure") == 300
