"""When the runner settles the loaded table, what it records, and a failure to settle, on
the real SQLite engine (the SQL adapter declares SETTLE: ANALYZE and a WAL checkpoint)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from bakeoff.adapters.errors import FatalError
from bakeoff.adapters.protocol import Capability, TableSpec
from bakeoff.adapters.sql import SqlAdapter
from bakeoff.engines.base import Provisioner
from bakeoff.engines.catalog import EngineSpec, engine_spec
from bakeoff.engines.embedded import EmbeddedProvisioner
from bakeoff.engines.provisioning import EngineOptions
from bakeoff.harness.options import RunOptions
from bakeoff.harness.plan import Trial, plan_trials
from bakeoff.harness.run import run_trials
from bakeoff.harness.runner import TrialRunner
from bakeoff.harness.settle import settle_after_load
from bakeoff.harness.trial import TrialRecord
from bakeoff.results import load_manifest
from bakeoff.results.writer import RunWriter
from bakeoff.workloads.loader import load_workload, shipped_workloads_dir
from bakeoff.workloads.model import Workload


def ycsb(name: str, **overrides: Any) -> Workload:
    workload = load_workload(shipped_workloads_dir() / f"{name}.yaml")
    return workload.with_overrides(**overrides)


class SettleWatchingAdapter(SqlAdapter):
    """The real SQL adapter, noting each time it settles and how many records the table
    then holds."""

    settled_with: ClassVar[list[int]] = []

    def settle(self, table: TableSpec) -> str:
        SettleWatchingAdapter.settled_with.append(self.count_records(table.name))
        return super().settle(table)


class FailingToSettleAdapter(SqlAdapter):
    def settle(self, table: TableSpec) -> str:
        raise FatalError("VACUUM (ANALYZE) usertable (set hint bits): disk full")


class NotSettlingAdapter(SqlAdapter):
    capabilities: ClassVar[frozenset[Capability]] = SqlAdapter.capabilities - {Capability.SETTLE}

    def settle(self, table: TableSpec) -> str:
        raise AssertionError("settle() called on an adapter that does not declare SETTLE")


def trial_with(adapter: type[SqlAdapter], workload: Workload) -> Trial:
    (trial,) = plan_trials([(workload, None)], [engine_spec("sqlite")])
    return Trial(**{**trial.__dict__, "adapter": adapter})


def run_one(tmp_path: Path, trial: Trial, options: RunOptions) -> TrialRecord:
    return TrialRunner(options).run(
        trial, EmbeddedProvisioner(engine_spec("sqlite"), parent_dir=tmp_path)
    )


def test_settles_once_after_the_whole_load_and_records_what_ran(tmp_path: Path) -> None:
    SettleWatchingAdapter.settled_with.clear()
    trial = trial_with(SettleWatchingAdapter, ycsb("ycsb-c", records=300, operation_count=300))
    record = run_one(tmp_path, trial, RunOptions(clients=3))
    assert record.status == "ok", record.error
    # On one connection of the three, with every record loaded.
    assert SettleWatchingAdapter.settled_with == [300]
    settle = record.load_generator["settle"]
    assert isinstance(settle, dict)
    assert settle["settled"] is True
    assert settle["statements"] == "ANALYZE usertable; PRAGMA wal_checkpoint(TRUNCATE)"
    assert isinstance(settle["seconds"], float) and settle["seconds"] >= 0
    # Settling is no phase: nothing of it is in the measured rows.
    assert {row.phase.value for row in record.rows} == {"load", "measure"}


def test_no_settle_measures_the_table_as_loaded(tmp_path: Path) -> None:
    SettleWatchingAdapter.settled_with.clear()
    trial = trial_with(SettleWatchingAdapter, ycsb("ycsb-c", records=100, operation_count=100))
    record = run_one(tmp_path, trial, RunOptions(settle=False))
    assert record.status == "ok", record.error
    assert SettleWatchingAdapter.settled_with == []
    assert record.load_generator["settle"] == {
        "settled": False,
        "why_not": "switched off (--no-settle)",
    }


def test_an_adapter_without_the_capability_is_not_asked(tmp_path: Path) -> None:
    trial = trial_with(NotSettlingAdapter, ycsb("ycsb-c", records=100, operation_count=100))
    record = run_one(tmp_path, trial, RunOptions())
    assert record.status == "ok", record.error
    settle = record.load_generator["settle"]
    assert isinstance(settle, dict) and settle["settled"] is False
    assert "declares no settling step" in str(settle["why_not"])


def test_reused_data_is_not_settled_again(tmp_path: Path) -> None:
    SettleWatchingAdapter.settled_with.clear()
    reads = ycsb("ycsb-c", records=100, operation_count=100)
    trials = plan_trials([(reads, None)], [engine_spec("sqlite")], repeat=2)
    trials = [Trial(**{**t.__dict__, "adapter": SettleWatchingAdapter}) for t in trials]

    def factory(spec: EngineSpec, options: EngineOptions | None = None) -> Provisioner:
        return EmbeddedProvisioner(spec, parent_dir=tmp_path)

    writer = RunWriter(tmp_path / "results")
    records = run_trials(trials, factory, writer, TrialRunner(RunOptions(reuse=True)))
    assert [r.status for r in records] == ["ok", "ok"]
    assert SettleWatchingAdapter.settled_with == [100]
    first, second = (r.load_generator["settle"] for r in records)
    assert isinstance(first, dict) and first["settled"] is True
    assert second == {
        "settled": False,
        "why_not": "the data was reused from an earlier trial (--reuse)",
    }
    # The manifest holds both, where a report reads them.
    entries = load_manifest(writer.path_final)["trials"]
    assert isinstance(entries, list)
    assert [e["load_generator"]["settle"]["settled"] for e in entries] == [True, False]


def test_a_failure_to_settle_fails_the_trial_and_keeps_the_load(tmp_path: Path) -> None:
    trial = trial_with(FailingToSettleAdapter, ycsb("ycsb-c", records=200, operation_count=100))
    writer = RunWriter(tmp_path / "results")

    def factory(spec: EngineSpec, options: EngineOptions | None = None) -> Provisioner:
        return EmbeddedProvisioner(spec, parent_dir=tmp_path)

    (record,) = run_trials([trial], factory, writer, TrialRunner(RunOptions()))
    assert record.status == "failed"
    error = record.error or ""
    assert error.startswith("sqlite: settling table usertable after the load failed")
    assert "VACUUM (ANALYZE) usertable (set hint bits): disk full" in error
    assert "--no-settle" in error
    # The load's rows are kept, and nothing was measured after it.
    assert {row.phase.value for row in record.rows} == {"load"}
    assert sum(row.count for row in record.rows) >= 1
    entries = load_manifest(writer.path_final)["trials"]
    assert isinstance(entries, list) and len(entries) == 1
    assert entries[0]["status"] == "failed" and entries[0]["error"] == error


def test_a_data_model_or_an_empty_load_is_not_settled() -> None:
    workload = ycsb("ycsb-c", records=100, operation_count=100)
    trial = trial_with(SettleWatchingAdapter, workload)

    class Model:
        name = "relational"

    as_model = Trial(**{**trial.__dict__, "model": Model})
    assert settle_after_load(None, as_model, RunOptions()) == {
        "settled": False,
        "why_not": "the data model relational has no settling step",
    }
    empty = Trial(**{**trial.__dict__, "workload": workload.model_copy(update={"records": 0})})
    assert settle_after_load(None, empty, RunOptions())["why_not"] == "nothing was loaded"
