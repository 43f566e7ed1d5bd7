"""Finishing the run a killed process left: every written trial kept, status killed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from bakeoff.core.measures import Phase
from bakeoff.harness.trial import PhaseRecord
from bakeoff.results import load, load_manifest
from bakeoff.results.recovery import finish_killed, unfinished_runs
from bakeoff.results.writer import RunWriter
from tests.unit.results.test_store import WORKLOAD, interval_row, trial_record


def killed_run(tmp_path: Path, trials: int = 2) -> RunWriter:
    """A run as SIGKILL leaves it: trials written, never finished."""
    writer = RunWriter(tmp_path, run_id="run-1")
    for trial in range(trials):
        writer.add_trial(trial_record(trial))
    return writer


def test_the_partial_manifest_names_its_writer(tmp_path: Path) -> None:
    killed_run(tmp_path)
    (run,) = unfinished_runs(tmp_path)
    assert run.writer is not None
    assert run.writer[0] == os.getpid()
    assert run.started_at is not None


def test_a_killed_run_is_finished_with_every_written_trial(tmp_path: Path) -> None:
    writer = killed_run(tmp_path)
    (writer.path_partial / "trials" / ".trial-00002-rep-000.parquet.tmp").write_bytes(b"cut")

    path = finish_killed(unfinished_runs(tmp_path)[0])

    assert path == writer.path_final
    assert not writer.path_partial.exists()
    manifest = load_manifest(path)
    assert manifest["status"] == "killed"
    assert manifest["ended_at"] and manifest["recovered_at"]
    assert "writer" not in manifest
    assert [t["status"] for t in manifest["trials"]] == ["ok", "ok"]  # type: ignore[attr-defined]
    assert sorted(set(load(tmp_path)["trial"])) == [0, 1]
    assert unfinished_runs(tmp_path) == []


def test_a_trial_written_but_not_yet_listed_is_kept_as_interrupted(tmp_path: Path) -> None:
    writer = killed_run(tmp_path, trials=1)
    # The writer died between the trial's samples and its manifest entry.
    trials = writer.path_partial / "trials"
    shutil.copy(trials / "trial-00000-rep-000.parquet", trials / "trial-00001-rep-000.parquet")

    path = finish_killed(unfinished_runs(tmp_path)[0])

    entries = load_manifest(path)["trials"]
    assert isinstance(entries, list)
    assert [(t["trial"], t["status"]) for t in entries] == [(0, "ok"), (1, "interrupted")]
    assert len(load(path)) == 2


def test_a_run_killed_while_finishing_keeps_its_status(tmp_path: Path) -> None:
    writer = killed_run(tmp_path)
    writer.finish("ok")
    os.rename(writer.path_final, writer.path_partial)  # as if killed before the rename

    path = finish_killed(unfinished_runs(tmp_path)[0])

    assert load_manifest(path)["status"] == "ok"
    assert len(load(path)) == 2


def phase_record(trial: int, phase: Phase, values_ns: tuple[int, ...] = (1_000,)) -> PhaseRecord:
    full = trial_record(trial)
    return PhaseRecord(
        trial=trial,
        repetition=0,
        engine=full.engine,
        engine_version=full.engine_version,
        workload=full.workload,
        phase=phase,
        rows=[interval_row("insert", 0, values_ns, phase=phase)],
    )


def test_the_phases_of_the_trial_in_flight_are_recovered_as_a_killed_trial(
    tmp_path: Path,
) -> None:
    writer = killed_run(tmp_path, trials=1)
    writer.add_phase(phase_record(1, Phase.LOAD, (1_000, 2_000)))
    writer.add_phase(phase_record(1, Phase.WARMUP))
    # SIGKILL in the measure phase: nothing more of trial 1 is written.
    before = load(writer.path_partial)  # a partial run is read as it is, journal too
    assert list(before["phase"]) == ["measure", "load", "warmup"]

    path = finish_killed(unfinished_runs(tmp_path)[0])

    manifest = load_manifest(path)
    assert manifest["status"] == "killed"
    entries = manifest["trials"]
    assert isinstance(entries, list)
    assert [(t["trial"], t["status"]) for t in entries] == [(0, "ok"), (1, "killed")]
    assert entries[1]["engine"] == "postgres"
    assert entries[1]["workload_hash"] == WORKLOAD.spec_hash()
    assert "load, warmup" in entries[1]["error"]
    frame = load(path)
    kept = frame[frame["trial"] == 1]
    assert list(kept["phase"]) == ["load", "warmup"]
    assert list(kept["count"]) == [2, 1]
    assert not (path / "journal").exists()


def test_a_trial_written_whole_drops_its_journal(tmp_path: Path) -> None:
    writer = killed_run(tmp_path, trials=0)
    writer.add_phase(phase_record(0, Phase.LOAD))
    assert len(list((writer.path_partial / "journal").iterdir())) == 1
    writer.add_trial(trial_record(0))
    assert list((writer.path_partial / "journal").iterdir()) == []
    writer.add_phase(phase_record(0, Phase.LOAD))  # a leftover, as if the drop was cut
    assert list(load(writer.path_partial)["phase"]) == ["measure"]

    path = finish_killed(unfinished_runs(tmp_path)[0])

    entries = load_manifest(path)["trials"]
    assert isinstance(entries, list)
    assert [(t["trial"], t["status"]) for t in entries] == [(0, "ok")]
    assert list(load(path)["phase"]) == ["measure"]
