"""telemetry.parquet survives like the samples: per trial and per phase while the run is
written, read from a partial run, concatenated when it finishes or is recovered."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bakeoff.core.measures import Phase
from bakeoff.core.telemetry import MetricKind, TelemetryRow
from bakeoff.results import load_telemetry
from bakeoff.results.reader import read_run
from bakeoff.results.recovery import finish_killed, unfinished_runs
from bakeoff.results.telemetry_store import TELEMETRY_COLUMNS, TELEMETRY_FILE
from bakeoff.results.writer import RunWriter
from tests.unit.results.test_recovery import phase_record
from tests.unit.results.test_store import trial_record


def _rows(phase: str, value: float) -> list[TelemetryRow]:
    return [
        TelemetryRow(phase, 0, 0.0, 1.0, "container", "container.cpu_user_s", value, "s",
                     MetricKind.COUNTER),
        TelemetryRow(phase, 0, 0.0, 1.0, "container", "container.memory_anon_bytes", 8e6,
                     "bytes", MetricKind.GAUGE),
    ]  # fmt: skip


def test_a_finished_run_holds_one_tidy_table(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path, run_id="run-1")
    writer.add_trial(replace(trial_record(0), telemetry=_rows("measure", 0.5)))
    writer.add_trial(trial_record(1))  # telemetry off, or an engine without any
    path = writer.finish("ok")

    assert (path / TELEMETRY_FILE).is_file() and not (path / "telemetry").exists()
    frame = load_telemetry(path)
    assert tuple(frame.columns) == TELEMETRY_COLUMNS
    assert frame.to_dict("records")[0] == {
        "run_id": "run-1", "trial": 0, "repetition": 0, "engine": "postgres",
        "workload": "ycsb-a", "phase": "measure", "interval": 0, "start_s": 0.0,
        "duration_s": 1.0, "source": "container", "metric": "container.cpu_user_s",
        "value": 0.5, "unit": "s", "kind": "counter",
    }  # fmt: skip
    assert read_run(path).telemetry().equals(frame)


def test_a_run_without_telemetry_reads_empty(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path, run_id="run-1")
    writer.add_trial(trial_record(0))
    path = writer.finish("ok")
    assert not (path / TELEMETRY_FILE).exists()
    frame = load_telemetry(path)
    assert frame.empty and tuple(frame.columns) == TELEMETRY_COLUMNS


def test_the_phases_of_a_killed_trial_keep_their_telemetry(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path, run_id="run-1")
    writer.add_trial(replace(trial_record(0), telemetry=_rows("measure", 0.5)))
    writer.add_phase(replace(phase_record(1, Phase.LOAD), telemetry=_rows("load", 2.0)))
    # SIGKILL in trial 1's warm-up: its load phase is kept, telemetry too.
    partial = load_telemetry(writer.path_partial)
    assert sorted(zip(partial["trial"], partial["phase"], strict=True)) == [
        (0, "measure"), (0, "measure"), (1, "load"), (1, "load"),
    ]  # fmt: skip

    path = finish_killed(unfinished_runs(tmp_path)[0])
    frame = load_telemetry(path)
    assert frame.equals(partial)
    assert not (path / "telemetry").exists()


def test_a_trial_written_whole_replaces_its_phases(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path, run_id="run-1")
    writer.add_phase(replace(phase_record(0, Phase.LOAD), telemetry=_rows("load", 2.0)))
    writer.add_trial(replace(trial_record(0), telemetry=_rows("measure", 0.5)))
    assert set(load_telemetry(writer.path_partial)["phase"]) == {"measure"}
    assert set(load_telemetry(writer.finish("ok"))["phase"]) == {"measure"}
