from __future__ import annotations

import dataclasses
import errno
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hdrh.histogram import HdrHistogram

from bakeoff.core.measures import IntervalRow, LatencyKind, Phase
from bakeoff.core.secrets import redact_argv
from bakeoff.results import RunWriter, TrialRecord, load, load_manifest
from bakeoff.results.run_finish import RunExistsError
from bakeoff.results.safe_json import to_safe_json
from bakeoff.results.schema import COLUMNS, COUNT_COLUMNS
from bakeoff.workloads.model import OperationMix, Workload

SECRET = "hunter2-Zq9"  # noqa: S105 - the fake credential the tests hunt for

WORKLOAD = Workload(name="ycsb-a", operations=OperationMix(read=0.5, update=0.5))

INT_COLUMNS = {
    "trial",
    "repetition",
    "interval",
    "count",
    "not_found",
    "errors_transient",
    "errors_fatal",
    "errors_unsupported",
    "errors",
}
FLOAT_COLUMNS = {
    "start_s",
    "duration_s",
    "throughput_ops",
    "mean_us",
    "p50_us",
    "p90_us",
    "p99_us",
    "p999_us",
    "max_us",
}


def histogram(values_ns: Sequence[int]) -> tuple[str, HdrHistogram]:
    hist = HdrHistogram(1, 3_600_000_000_000, 3)
    for v in values_ns:
        hist.record_value(v)
    encoded: bytes = hist.encode()
    return encoded.decode("ascii"), hist


def interval_row(
    operation: str = "read",
    interval: int = 0,
    values_ns: Sequence[int] = (1_000, 2_000, 3_000),
    *,
    phase: Phase = Phase.MEASURE,
    kind: LatencyKind = LatencyKind.SERVICE,
    duration_s: float = 1.0,
    not_found: int = 0,
    errors: tuple[int, int, int] = (0, 0, 0),
) -> IntervalRow:
    encoded, _ = histogram(values_ns)
    return IntervalRow(
        phase=phase,
        operation=operation,
        latency_kind=kind,
        interval=interval,
        start_s=float(interval) * duration_s,
        duration_s=duration_s,
        count=len(values_ns),
        not_found=not_found,
        errors_transient=errors[0],
        errors_fatal=errors[1],
        errors_unsupported=errors[2],
        histogram=encoded,
    )


def trial_record(
    trial: int = 0,
    *,
    rows: Sequence[IntervalRow] | None = None,
    workload: Workload = WORKLOAD,
    repetition: int = 0,
    status: str = "ok",
    error: str | None = None,
    endpoint: str = "postgresql+psycopg://bench@db:5432/bench",
    settings: dict[str, str] | None = None,
    engine_version: str = "16.4",
) -> TrialRecord:
    start = datetime(2026, 11, 25, 13, 5, 1, tzinfo=UTC)
    return TrialRecord(
        trial=trial,
        repetition=repetition,
        engine="postgres",
        engine_version=engine_version,
        workload=workload,
        endpoint_display_url=endpoint,
        settings=settings if settings is not None else {"fsync": "on"},
        provenance={"image": "postgres:16", "digest": "sha256:abc"},
        adapter="sql",
        connections=4,
        seed=7,
        started_at=start,
        ended_at=start + timedelta(seconds=30),
        status=status,
        error=error,
        verify={"records_expected": 1000, "records_found": 1000},
        rows=rows if rows is not None else [interval_row()],
    )


def test_finish_renames_the_partial_dir_into_place(tmp_path: Path) -> None:
    out = tmp_path / "results"
    writer = RunWriter(out, run_id="run-1")
    partial = out / ".run-1.partial"
    assert partial.is_dir()
    assert not writer.path_final.exists()

    writer.add_trial(trial_record())
    final = writer.finish("ok")

    assert final == out / "run-1" == writer.path_final
    assert not partial.exists()
    assert sorted(p.name for p in final.iterdir()) == ["manifest.json", "samples.parquet"]
    assert load_manifest(final)["status"] == "ok"


def test_default_run_id_is_a_utc_timestamp_with_a_suffix(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path)
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{4}", writer.run_id)
    assert writer.path_final == tmp_path / writer.run_id


def test_a_crash_keeps_every_trial_already_added(tmp_path: Path) -> None:
    out = tmp_path / "results"
    writer = RunWriter(out, run_id="crashy")
    writer.add_trial(trial_record(0))
    writer.add_trial(trial_record(1))
    # The process dies here: finish() is never called.
    partial = writer.path_partial
    manifest: dict[str, Any] = load_manifest(partial)
    assert manifest["status"] == "running"
    assert manifest["ended_at"] is None
    assert isinstance(manifest["trials"], list)
    assert [t["trial"] for t in manifest["trials"]] == [0, 1]

    kept = load(partial)
    assert sorted(kept["trial"].unique()) == [0, 1]
    # A results folder only offers finished runs.
    with pytest.raises(ValueError, match=re.escape(str(out))):
        load(out)


def test_an_existing_run_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("mine")
    with pytest.raises(RunExistsError, match="taken"):
        RunWriter(tmp_path, run_id="taken")
    assert (tmp_path / "taken" / "keep.txt").read_text() == "mine"
    assert not (tmp_path / ".taken.partial").exists()


def test_a_leftover_partial_dir_is_not_reused(tmp_path: Path) -> None:
    first = RunWriter(tmp_path, run_id="again")
    first.add_trial(trial_record())
    with pytest.raises(RunExistsError, match="unfinished"):
        RunWriter(tmp_path, run_id="again")
    assert load(first.path_partial)["trial"].tolist() == [0]


def test_a_target_that_appears_meanwhile_is_kept_and_so_is_the_run(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path, run_id="race")
    writer.add_trial(trial_record())
    (tmp_path / "race").mkdir()
    (tmp_path / "race" / "other.txt").write_text("someone else's")

    with pytest.raises(RunExistsError, match="race"):
        writer.finish("ok")

    assert (tmp_path / "race" / "other.txt").read_text() == "someone else's"
    assert len(load(writer.path_partial)) == 1
    assert load_manifest(writer.path_partial)["status"] == "ok"


def test_finish_is_idempotent_and_closes_the_run(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path, run_id="once")
    path = writer.finish("ok")
    assert writer.finish("failed") == path
    assert load_manifest(path)["status"] == "ok"
    with pytest.raises(RuntimeError, match="finished"):
        writer.add_trial(trial_record())


def test_zero_trials_still_make_a_typed_run(tmp_path: Path) -> None:
    path = RunWriter(tmp_path, run_id="empty").finish("interrupted")
    frame = load(path)
    assert list(frame.columns) == list(COLUMNS)
    assert len(frame) == 0
    assert_typed(frame)
    manifest: dict[str, Any] = load_manifest(path)
    assert manifest["status"] == "interrupted"
    assert manifest["trials"] == []


def assert_typed(frame: pd.DataFrame) -> None:
    for column in COLUMNS:
        dtype = frame[column].dtype
        if column in INT_COLUMNS:
            assert dtype == "int64", column
        elif column in FLOAT_COLUMNS:
            assert dtype == "float64", column
        else:
            assert pd.api.types.is_string_dtype(dtype), column


def test_samples_have_the_schema_columns_typed_and_derived(tmp_path: Path) -> None:
    values = [1_000 * i for i in range(1, 101)]
    row = interval_row("update", 2, values, duration_s=0.5, not_found=3, errors=(1, 2, 4))
    writer = RunWriter(tmp_path, run_id="cols")
    writer.add_trial(trial_record(rows=[row, interval_row("read", 0)]))
    frame = load(writer.finish("ok"))

    assert list(frame.columns) == list(COLUMNS)
    assert_typed(frame)
    got = frame[frame["operation"] == "update"].iloc[0]
    _, hist = histogram(values)
    assert got["run_id"] == "cols"
    assert got["workload"] == "ycsb-a"
    assert got["workload_hash"] == WORKLOAD.spec_hash()
    assert got["phase"] == "measure"
    assert got["latency_kind"] == "service"
    assert got["interval"] == 2
    assert got["errors"] == 7  # not_found is an answer, not an error
    assert got["not_found"] == 3
    assert got["throughput_ops"] == pytest.approx(100 / 0.5)
    assert got["p50_us"] == hist.get_value_at_percentile(50) / 1000
    assert got["p99_us"] == hist.get_value_at_percentile(99) / 1000
    assert got["p999_us"] == hist.get_value_at_percentile(99.9) / 1000
    assert got["max_us"] == hist.get_max_value() / 1000
    assert got["mean_us"] == pytest.approx(hist.get_mean_value() / 1000)
    assert HdrHistogram.decode(got["histogram"]).get_total_count() == 100


def test_an_interval_without_successes_has_no_latency(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path, run_id="none")
    writer.add_trial(trial_record(rows=[interval_row(values_ns=(), errors=(5, 0, 0))]))
    got = load(writer.finish("ok")).iloc[0]
    assert got["count"] == 0
    assert got["errors"] == 5
    assert pd.isna(got["p99_us"])


def test_load_reads_a_folder_of_runs_and_lists(tmp_path: Path) -> None:
    out = tmp_path / "results"
    paths = []
    for run_id in ("a", "b"):
        writer = RunWriter(out, run_id=run_id)
        writer.add_trial(trial_record(0))
        writer.add_trial(trial_record(1))
        paths.append(writer.finish("ok"))
    RunWriter(out, run_id="unfinished").add_trial(trial_record())

    everything = load(out)
    assert sorted(everything["run_id"].unique()) == ["a", "b"]
    assert len(everything) == 4
    assert list(everything.columns) == list(COLUMNS)
    assert len(load([paths[0], str(paths[1])])) == 4
    # The same run named twice is read once.
    assert len(load([out, paths[0]])) == 4


def test_load_names_the_path_it_cannot_read(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(FileNotFoundError, match="nope"):
        load(missing)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="empty"):
        load(tmp_path / "empty")
    with pytest.raises(ValueError, match="at least one"):
        load([])
    with pytest.raises(FileNotFoundError, match="nope"):
        load_manifest(missing)


def test_a_trial_cannot_be_added_twice(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path, run_id="dup")
    writer.add_trial(trial_record(3, repetition=1))
    writer.add_trial(trial_record(3, repetition=2))
    with pytest.raises(ValueError, match="added already"):
        writer.add_trial(trial_record(3, repetition=1))


@pytest.mark.parametrize("run_id", ["../escape", "a/b", ".hidden", ""])
def test_run_ids_are_plain_names(tmp_path: Path, run_id: str) -> None:
    with pytest.raises(ValueError, match="run id"):
        RunWriter(tmp_path, run_id=run_id)


def test_statuses_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="status"):
        trial_record(status="great")
    with pytest.raises(ValueError, match="status"):
        RunWriter(tmp_path, run_id="s").finish("done")
    # A trial is partial when a load-generator node was lost mid-run (--cluster).
    assert trial_record(status="partial").status == "partial"
    path = RunWriter(tmp_path, run_id="p").finish("partial")
    assert load_manifest(path)["status"] == "partial"


def test_manifest_fields(tmp_path: Path) -> None:
    override = WORKLOAD.with_overrides(records=50)
    writer = RunWriter(
        tmp_path, run_id="m", command=["bakeoff", "run", "ycsb-a"], options={"threads": 4}
    )
    writer.add_trial(trial_record(0))
    writer.add_trial(trial_record(1, workload=override, status="failed", error="boom"))
    manifest: dict[str, Any] = load_manifest(writer.finish("failed"))

    assert manifest["schema_version"] == 1
    assert manifest["run_id"] == "m"
    assert manifest["status"] == "failed"
    assert manifest["command"] == ["bakeoff", "run", "ycsb-a"]
    assert manifest["options"] == {"threads": 4}
    for key in ("started_at", "ended_at"):
        stamp = manifest[key]
        assert isinstance(stamp, str) and stamp.endswith("Z")
        assert datetime.fromisoformat(stamp).tzinfo is not None
    bakeoff = manifest["bakeoff"]
    assert isinstance(bakeoff, dict) and {"version", "git_sha", "dirty"} <= bakeoff.keys()
    host = manifest["host"]
    assert isinstance(host, dict)
    assert {"cpu_model", "logical_cores", "memory_bytes", "os", "kernel", "python"} <= host.keys()
    drivers = manifest["drivers"]
    assert isinstance(drivers, dict) and "pandas" in drivers and "hdrhistogram" in drivers

    workloads = manifest["workloads"]
    assert isinstance(workloads, dict)
    assert workloads["ycsb-a"]["hash"] == WORKLOAD.spec_hash()
    assert workloads["ycsb-a"]["spec"] == WORKLOAD.model_dump(mode="json")
    # Same name, other spec: kept under a hash-qualified key.
    overridden = workloads[f"ycsb-a@{override.spec_hash()[:12]}"]
    assert overridden["hash"] == override.spec_hash()
    assert overridden["spec"]["records"] == 50

    trials = manifest["trials"]
    assert isinstance(trials, list) and len(trials) == 2
    first, second = trials
    assert {
        "trial",
        "repetition",
        "engine",
        "engine_version",
        "adapter",
        "endpoint",
        "settings",
        "provenance",
        "connections",
        "seed",
        "workload",
        "workload_hash",
        "started_at",
        "ended_at",
        "status",
        "error",
        "verify",
    } <= first.keys()
    assert first["endpoint"] == "postgresql+psycopg://bench@db:5432/bench"
    assert first["started_at"] == "2026-11-25T13:05:01.000000Z"
    assert first["verify"] == {"records_expected": 1000, "records_found": 1000}
    assert first["workload_hash"] == WORKLOAD.spec_hash()
    assert second["workload_hash"] == override.spec_hash()
    assert (second["status"], second["error"]) == ("failed", "boom")
    assert set(manifest["latency_kinds"]) == {"service", "response"}
    # Valid JSON throughout, NaN included.
    json.loads((tmp_path / "m" / "manifest.json").read_text())


def test_no_password_reaches_any_file(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://bench:{SECRET}@db:5432/bench?sslpassword={SECRET}"
    writer = RunWriter(
        tmp_path,
        run_id="secret",
        command=["bakeoff", "run", "--url", url, "--password", SECRET, f"--api-token={SECRET}"],
        options={"url": url, "db_password": SECRET, "nested": [{"dsn": f"redis://:{SECRET}@r"}]},
    )
    record = trial_record(
        endpoint=url,  # a provisioner mistake: the display URL must have been clean
        error=f"could not connect to {url}: timeout",
        settings={"password": SECRET, "conn": f"mongodb://root:{SECRET}@m:27017/"},
        engine_version=f"16.4 via redis://:{SECRET}@cache",
    )
    writer.add_trial(record)

    def leaked(run_dir: Path) -> list[Path]:
        return [f for f in run_dir.rglob("*") if f.is_file() and SECRET.encode() in f.read_bytes()]

    assert leaked(writer.path_partial) == []
    final = writer.finish("ok")
    assert leaked(final) == []

    # Parquet pages are compressed, so the bytes alone could hide a leak: read it too.
    frame = load(final)
    assert frame["engine_version"].tolist() == ["16.4 via redis://:***@cache"]
    for column in frame.columns:
        assert not frame[column].astype(str).str.contains(SECRET).any(), column

    manifest: dict[str, Any] = load_manifest(final)
    assert manifest["trials"][0]["endpoint"] == (
        "postgresql+psycopg://bench:***@db:5432/bench?sslpassword=***"
    )
    assert manifest["command"][3] == redact_argv([url])[0]
    assert manifest["command"][5] == "***"
    assert manifest["options"]["db_password"] == "***"  # noqa: S105 - redacted, not a secret


def test_safe_json_handles_odd_values() -> None:
    stamp = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert to_safe_json(
        {"when": stamp, "path": Path("/x"), "phase": Phase.LOAD, "nan": float("nan")}
    ) == {"when": "2026-01-02T03:04:05.000000Z", "path": "/x", "phase": "load", "nan": "nan"}
    assert to_safe_json({"token": None, "tokens_ok": True}) == {"token": None, "tokens_ok": True}
    assert to_safe_json({"credentials": {"user": "u"}}) == {"credentials": "***"}


def test_finish_can_be_retried_after_the_target_is_cleared(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path, run_id="retry")
    writer.add_trial(trial_record())
    (tmp_path / "retry").mkdir()
    (tmp_path / "retry" / "x").write_text("x")
    with pytest.raises(RunExistsError):
        writer.finish("ok")
    (tmp_path / "retry" / "x").unlink()
    (tmp_path / "retry").rmdir()
    assert len(load(writer.finish("ok"))) == 1


def test_a_rename_that_loses_the_race_keeps_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = RunWriter(tmp_path, run_id="lost")
    writer.add_trial(trial_record())

    def rename(src: Path, dst: Path) -> None:
        raise OSError(errno.ENOTEMPTY, "Directory not empty", str(dst))

    with monkeypatch.context() as patch:
        patch.setattr("bakeoff.results.writer.os.rename", rename)
        with pytest.raises(RunExistsError, match="kept in"):
            writer.finish("ok")
    assert len(load(writer.path_partial)) == 1
    assert len(load(writer.finish("ok"))) == 1


def test_failed_operations_keep_their_latency_in_rows_of_their_own(tmp_path: Path) -> None:
    stalled, _ = histogram([5_000_000_000])  # one call hung 5 s, then timed out
    fatal, _ = histogram([2_000, 3_000])
    row = dataclasses.replace(
        interval_row("read", 0, (1_000, 2_000)),
        errors_transient=1,
        errors_fatal=2,
        error_histograms=(("fatal", fatal), ("transient", stalled)),
    )
    writer = RunWriter(tmp_path, run_id="errs")
    writer.add_trial(trial_record(rows=[row]))
    frame = load(writer.finish("ok"))

    assert list(frame["outcome"]) == ["ok", "error:fatal", "error:transient"]
    ok, fatal_row, transient_row = (frame.iloc[i] for i in range(3))
    assert (ok["count"], ok["errors_transient"], ok["errors_fatal"], ok["errors"]) == (2, 1, 2, 3)
    assert ok["max_us"] == pytest.approx(2.0, rel=1e-3)
    # Counted once: every count of an error row is 0, so sums over all rows hold.
    for column in (*COUNT_COLUMNS, "errors"):
        assert frame[column].sum() == ok[column]
    assert transient_row["max_us"] == pytest.approx(5_000_000, rel=1e-3)
    assert HdrHistogram.decode(transient_row["histogram"]).get_total_count() == 1
    assert HdrHistogram.decode(fatal_row["histogram"]).get_total_count() == 2
    assert (transient_row["interval"], transient_row["throughput_ops"]) == (0, 0.0)


def test_a_trials_point_and_a_commands_section_reach_the_manifest(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path, run_id="capacity")
    writer.add_trial(dataclasses.replace(trial_record(0), point={"rate": 2000.0}))
    writer.add_trial(trial_record(1))
    writer.set_section("capacity", {"budget_s": 300.0})
    # Written at once: a run killed now still has it.
    partial = json.loads((writer.path_partial / "manifest.json").read_text())
    assert partial["capacity"] == {"budget_s": 300.0}
    with pytest.raises(ValueError, match="the manifest's own key"):
        writer.set_section("trials", {})
    manifest = load_manifest(writer.finish("ok"))
    assert manifest["capacity"] == {"budget_s": 300.0}
    trials = manifest["trials"]
    assert isinstance(trials, list)
    assert [t.get("point") for t in trials] == [{"rate": 2000.0}, None]
