"""ReportData is built from the store alone and its numbers are summarize()'s."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bakeoff.core.histogram import (
    encode,
    merge_encoded,
    new_histogram,
    percentiles_us,
)
from bakeoff.core.histogram import record_bulk as hdr_record_bulk
from bakeoff.core.measures import IntervalRow, LatencyKind, Phase
from bakeoff.harness.trial import TrialRecord
from bakeoff.report.build import ReportError, build_report
from bakeoff.report.methodology import is_durability_setting, methodology
from bakeoff.report.views import TRIAL_COLUMNS
from bakeoff.results import RunWriter, load, summarize
from bakeoff.results.reader import run_directories
from bakeoff.results.schema import MANIFEST_FILE
from bakeoff.results.summary import TOTAL
from bakeoff.workloads.model import OperationMix, Workload

WORKLOAD = Workload(
    name="mix", description="reads and updates", operations=OperationMix(read=0.7, update=0.3)
)
START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@dataclass
class EngineShape:
    """How a synthetic engine behaves: median latency (µs) per operation, rate per s."""

    latency_us: Mapping[str, float]
    rate: int
    version: str = "1.0"
    settings: Mapping[str, str] = field(default_factory=dict)
    provenance: Mapping[str, str] = field(default_factory=lambda: {"provisioner": "embedded"})


ENGINES = {
    "fastdb": EngineShape(
        {"read": 20.0, "update": 45.0},
        rate=800,
        version="FastDB 3.1",
        settings={"synchronous": "normal", "cache_size": "2000"},
    ),
    "slowdb": EngineShape(
        {"read": 400.0, "update": 900.0},
        rate=120,
        version="SlowDB 9",
        settings={"fsync": "on"},
        provenance={
            "provisioner": "container",
            "image": "slowdb:9",
            "image_digest": "slowdb@sha256:abc123",
            "cpus": "2",
            "memory": "1g",
            "container_id": "deadbeef0000",
        },
    ),
}


def interval_rows(
    rng: np.random.Generator,
    shape: EngineShape,
    intervals: int,
    *,
    kind: LatencyKind = LatencyKind.SERVICE,
    width_s: float = 1.0,
    errors_every: int = 0,
) -> list[IntervalRow]:
    rows = []
    for operation, latency_us in shape.latency_us.items():
        for i in range(intervals):
            count = int(rng.poisson(shape.rate))
            values = rng.lognormal(np.log(latency_us * 1000), 0.7, count).astype(np.int64)
            hist = new_histogram()
            hdr_record_bulk(hist, values)
            rows.append(
                IntervalRow(
                    phase=Phase.MEASURE,
                    operation=operation,
                    latency_kind=kind,
                    interval=i,
                    start_s=i * width_s,
                    # A short last interval, as a real phase ends.
                    duration_s=width_s if i < intervals - 1 else width_s * 0.3,
                    count=count,
                    not_found=i % 2,
                    errors_transient=1 if errors_every and i % errors_every == 0 else 0,
                    errors_fatal=0,
                    errors_unsupported=0,
                    histogram=encode(hist),
                )
            )
    # Warm-up and load rows must never reach a number of the report.
    warm = new_histogram()
    hdr_record_bulk(warm, np.full(50, 10_000_000, dtype=np.int64))
    rows.append(IntervalRow(Phase.WARMUP, "read", kind, 0, 0.0, 1.0, 50, 0, 0, 0, 0, encode(warm)))
    return rows


def write_run(
    folder: Path,
    *,
    run_id: str,
    repetitions: int = 2,
    intervals: int = 4,
    seed: int = 0,
    engines: Mapping[str, EngineShape] = ENGINES,
    workload: Workload = WORKLOAD,
    failed: Sequence[str] = (),
    response: bool = False,
    command: Sequence[str] = ("bakeoff", "run", "mix"),
    endpoint: str = "sqlite:///bench.db",
    load_generators: Mapping[str, dict[str, object]] | None = None,
) -> Path:
    """A finished run: every engine `repetitions` times, interleaved like the runner;
    `load_generators`: an engine's trials' `load_generator` facts."""
    rng = np.random.default_rng(seed)
    writer = RunWriter(
        folder, run_id=run_id, command=command, options={"threads": 1, "repeat": repetitions}
    )
    trial = 0
    for repetition in range(repetitions):
        for engine, shape in engines.items():
            rows = interval_rows(rng, shape, intervals, errors_every=3)
            if response:
                rows += interval_rows(rng, shape, intervals, kind=LatencyKind.RESPONSE)
            status = "failed" if engine in failed else "ok"
            begin = START + timedelta(minutes=trial)
            writer.add_trial(
                TrialRecord(
                    trial=trial,
                    repetition=repetition,
                    engine=engine,
                    engine_version=shape.version,
                    workload=workload,
                    endpoint_display_url=endpoint,
                    settings=dict(shape.settings),
                    provenance=dict(shape.provenance),
                    adapter="sql",
                    connections=1,
                    seed=1,
                    started_at=begin,
                    ended_at=begin + timedelta(seconds=intervals),
                    status=status,
                    error="connection lost" if status == "failed" else None,
                    verify={"ok": status == "ok"},
                    rows=rows,
                    load_generator=dict((load_generators or {}).get(engine, {})),
                )
            )
            trial += 1
    return writer.finish("partial" if failed else "ok")


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return write_run(tmp_path / "results", run_id="run-a", repetitions=3)


def reference_trials(path: Path | Sequence[Path], kind: str = "service") -> pd.DataFrame:
    paths = [path] if isinstance(path, Path) else list(path)
    frame = summarize(load(paths), latency_kind=kind)
    frame["latency_kind"] = kind
    return frame


def assert_same(actual: float, expected: float) -> None:
    assert (math.isnan(actual) and math.isnan(expected)) or actual == expected


# -- the numbers -------------------------------------------------------------------


def test_per_trial_numbers_are_summarize_exactly(run_dir: Path) -> None:
    report = build_report([run_dir])
    expected = reference_trials(run_dir)
    actual = report.trials
    assert list(actual.columns) == list(TRIAL_COLUMNS)
    keys = ["run_id", "trial", "operation"]
    merged = actual.merge(expected, on=keys, suffixes=("", "_ref"), validate="one_to_one")
    assert len(merged) == len(expected) == len(actual)
    for column in TRIAL_COLUMNS:
        if column in keys:
            continue
        for got, want in zip(merged[column], merged[f"{column}_ref"], strict=True):
            if isinstance(want, float):
                assert_same(got, want)
            else:
                assert got == want, column


def test_response_time_is_reported_first_and_apart(tmp_path: Path) -> None:
    path = write_run(tmp_path, run_id="open", repetitions=1, response=True)
    report = build_report([path])
    (workload,) = report.workloads
    assert [k.kind for k in workload.kinds] == ["response", "service"]
    for kind in ("service", "response"):
        mine = report.trials[report.trials["latency_kind"] == kind]
        expected = reference_trials(path, kind)
        assert sorted(mine["p99_us"]) == sorted(expected["p99_us"])


def test_repetitions_give_the_median_trial_and_pooled_latencies(run_dir: Path) -> None:
    report = build_report([run_dir])
    trials = reference_trials(run_dir)
    samples = load(run_dir)
    measured = samples[(samples["phase"] == "measure") & (samples["latency_kind"] == "service")]
    (workload,) = report.workloads
    assert workload.engines == ("fastdb", "slowdb")
    assert workload.operations == ("read", "update", TOTAL)
    kind = workload.primary
    assert len(kind.rows) == 6
    for row in kind.rows:
        mine = trials[(trials["engine"] == row.engine) & (trials["operation"] == row.operation)]
        totals = trials[(trials["engine"] == row.engine) & (trials["operation"] == TOTAL)]
        assert row.trials == 3
        share = mine["count"].sum() / totals["count"].sum()
        assert row.share == share
        assert row.ops_per_s == float(np.median(totals["ops_per_s"])) * share
        # Three trials support no 95% interval: the spread is their range.
        assert row.ops_spread == "range of 3 trials"
        assert row.ops_low == totals["ops_per_s"].min() * share
        assert row.ops_high == totals["ops_per_s"].max() * share
        pooled = measured[measured["engine"] == row.engine]
        if row.operation != TOTAL:
            pooled = pooled[pooled["operation"] == row.operation]
        reference = percentiles_us(merge_encoded(s for s in pooled["histogram"] if s))
        for column in ("p50_us", "p90_us", "p99_us", "p999_us", "max_us", "mean_us"):
            assert getattr(row, column) == reference[column]
        assert row.max_us == mine["max_us"].max()
        assert row.errors == mine["errors"].sum() > 0
        assert row.count == mine["count"].sum()
        assert row.not_found == mine["not_found"].sum()


def test_a_single_repetition_has_no_spread(tmp_path: Path) -> None:
    path = write_run(tmp_path, run_id="once", repetitions=1)
    report = build_report(path)
    trials = reference_trials(path).set_index(["engine", "operation"])
    for row in report.workloads[0].primary.rows:
        assert not row.has_spread and row.spread_text() == ""
        assert row.ops_per_s == pytest.approx(trials.loc[(row.engine, row.operation), "ops_per_s"])
        assert row.p99_us == trials.loc[(row.engine, row.operation), "p99_us"]


def test_distributions_are_the_exact_merge_of_every_trial(run_dir: Path) -> None:
    report = build_report([run_dir])
    samples = load(run_dir)
    measured = samples[(samples["phase"] == "measure") & (samples["latency_kind"] == "service")]
    kind = report.workloads[0].primary
    for engine in ("fastdb", "slowdb"):
        for operation in ("read", "update", TOTAL):
            rows = measured[measured["engine"] == engine]
            if operation != TOTAL:
                rows = rows[rows["operation"] == operation]
            reference = merge_encoded(s for s in rows["histogram"] if s)
            dist = kind.distributions[(engine, operation)]
            assert dist.count == reference.total_count == rows["count"].sum()
            assert dist.summary_us() == percentiles_us(reference)
            wanted = [0.0, 12.5, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0]
            got = dist.percentiles_us(wanted)
            for percentile, value in zip(wanted, got, strict=True):
                assert value == reference.get_value_at_percentile(percentile) / 1000
            assert dist.min_us() == reference.get_min_value() / 1000
            assert dist.stddev_us() == pytest.approx(reference.get_stddev() / 1000, rel=1e-9)


def test_workers_do_not_change_the_result(tmp_path: Path) -> None:
    paths = [write_run(tmp_path, run_id=f"r{i}", repetitions=1, seed=i) for i in range(3)]
    serial = build_report(paths, workers=1)
    parallel = build_report(paths, workers=2)
    pd.testing.assert_frame_equal(serial.trials, parallel.trials)
    one, two = serial.workloads[0], parallel.workloads[0]
    for a, b in zip(one.primary.rows, two.primary.rows, strict=True):
        assert (a.engine, a.operation, a.ops_per_s, a.p99_us) == (
            b.engine,
            b.operation,
            b.ops_per_s,
            b.p99_us,
        )
    for key, dist in one.primary.distributions.items():
        assert dist.summary_us() == two.primary.distributions[key].summary_us()
    pd.testing.assert_frame_equal(one.throughput, two.throughput)
    pd.testing.assert_frame_equal(one.latency, two.latency)


def test_several_runs_pool_their_trials(tmp_path: Path) -> None:
    first = write_run(tmp_path, run_id="r1", repetitions=1, seed=1)
    second = write_run(tmp_path, run_id="r2", repetitions=2, seed=2)
    report = build_report([tmp_path])
    assert [r.run_id for r in report.runs] == ["r1", "r2"]
    row = next(r for r in report.workloads[0].primary.rows if r.operation == TOTAL)
    assert row.trials == 3
    trials = reference_trials([first, second])
    values = trials[(trials["engine"] == row.engine) & (trials["operation"] == TOTAL)]
    assert row.ops_per_s == float(np.median(values["ops_per_s"]))


def test_time_series_are_per_trial(run_dir: Path) -> None:
    report = build_report([run_dir])
    workload = report.workloads[0]
    samples = load(run_dir)
    measured = samples[(samples["phase"] == "measure") & (samples["engine"] == "fastdb")]
    first = measured[measured["start_s"] == 0.0]
    per_trial = first.groupby("trial")["count"].sum() / 1.0
    throughput = workload.throughput.set_index(["engine", "trial", "start_s"])
    for trial, rate in per_trial.items():
        assert throughput.loc[("fastdb", int(str(trial)), 0.0), "ops_per_s"] == rate
    latency = workload.latency.set_index(["engine", "trial", "operation", "start_s"])
    reads = first[first["operation"] == "read"]
    for trial, p99 in zip(reads["trial"], reads["p99_us"], strict=True):
        assert latency.loc[("fastdb", int(trial), "read", 0.0), "p99_us"] == p99


def test_failed_trials_are_left_out_and_listed(tmp_path: Path) -> None:
    path = write_run(tmp_path, run_id="bad", repetitions=2, failed=("slowdb",))
    report = build_report(path)
    assert set(report.trials["engine"]) == {"fastdb"}
    assert [(t.engine, t.status, t.error) for t in report.excluded] == [
        ("slowdb", "failed", "connection lost"),
        ("slowdb", "failed", "connection lost"),
    ]
    # An engine with no measured trial has no column of its own.
    assert report.engine_names == ("fastdb",)


def test_same_name_different_spec_is_two_workloads(tmp_path: Path) -> None:
    write_run(tmp_path, run_id="a", repetitions=1)
    bigger = WORKLOAD.model_copy(update={"records": 5000})
    write_run(tmp_path, run_id="b", repetitions=1, workload=bigger)
    report = build_report(tmp_path)
    labels = [w.label for w in report.workloads]
    assert len(labels) == 2 and all(label.startswith("mix@") for label in labels)
    assert {w.spec["records"] for w in report.workloads} == {1000, 5000}


def test_engine_setups_and_methodology(run_dir: Path) -> None:
    report = build_report(run_dir)
    fast, slow = report.engines
    assert fast.versions == ("FastDB 3.1",)
    assert fast.settings == {"synchronous": ("normal",), "cache_size": ("2000",)}
    assert slow.provenance["image_digest"] == ("slowdb@sha256:abc123",)
    assert (fast.trials_ok, fast.trials_total) == (3, 3)
    sections = {s.slug: s for s in methodology(report)}
    (engines,) = sections["engines"].tables
    assert engines.columns == ("", "fastdb", "slowdb")
    rows = {row[0]: row[1:] for row in engines.rows}
    assert rows["synchronous"] == ("normal", "not set")
    assert rows["fsync"] == ("not set", "on")
    assert rows["cache_size"] == ("2000", "not set")
    assert rows["image digest"] == ("–", "slowdb@sha256:abc123")
    assert rows["CPU limit"] == ("none: in the benchmark's own process", "2")
    assert rows["memory limit"][1] == "1g"
    # Durability settings are grouped first and marked; container ids are not shown.
    marked = {engines.rows[i][0] for i in engines.marked}
    assert marked == {"synchronous", "fsync"}
    assert not any("deadbeef" in cell for row in engines.rows for cell in row)
    (spec,) = sections["workloads"].tables
    assert ("records", "1000") in spec.rows
    assert ("spec hash (SHA-256)", report.workloads[0].hash) in spec.rows
    assert "service" in " ".join(sections["latency-kinds"].paragraphs).lower()


def test_durability_words() -> None:
    for name in ("synchronous", "fsync", "journal_mode", "innodb_flush_log_at_trx_commit"):
        assert is_durability_setting(name)
    for name in ("appendonly", "writeConcern", "wal_level", "commitlog_sync"):
        assert is_durability_setting(name)
    for name in ("cache_size", "shared_buffers", "max_connections"):
        assert not is_durability_setting(name)


# -- reading the store ---------------------------------------------------------------


def test_run_directories(tmp_path: Path) -> None:
    a = write_run(tmp_path / "results", run_id="a", repetitions=1)
    b = write_run(tmp_path / "results", run_id="b", repetitions=1)
    assert run_directories([tmp_path / "results"]) == [a, b]
    assert run_directories([a, a, tmp_path / "results"]) == [a, b]
    with pytest.raises(FileNotFoundError):
        run_directories([tmp_path / "nowhere"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ReportError, match="neither a bakeoff run"):
        build_report([tmp_path / "empty"])


def test_a_run_without_measurements_is_an_error(tmp_path: Path) -> None:
    path = write_run(tmp_path, run_id="all-bad", repetitions=1, failed=("fastdb", "slowdb"))
    with pytest.raises(ReportError, match="no measured results"):
        build_report(path)


def test_credentials_in_a_hand_edited_manifest_are_hidden(run_dir: Path) -> None:
    manifest_path = run_dir / MANIFEST_FILE
    manifest = json.loads(manifest_path.read_text())
    manifest["command"] = ["bakeoff", "run", "--url", "postgresql://u:hunter2@db/x"]
    manifest["trials"][0]["settings"]["password"] = "hunter2"  # noqa: S105 - bait to hide
    manifest_path.write_text(json.dumps(manifest))
    report = build_report(run_dir)
    assert "hunter2" not in repr(report.runs) + repr(report.engines)


def test_a_setting_reported_empty_is_not_shown_as_not_set(tmp_path: Path) -> None:
    # Redis reports `save` as "" when snapshots are off; "not set" read as the opposite.
    shapes = {
        "fastdb": EngineShape({"read": 20.0}, rate=100, settings={"save": "", "appendonly": "no"})
    }
    report = build_report(write_run(tmp_path, run_id="empty", repetitions=1, engines=shapes))
    (setup,) = report.engines
    assert setup.settings["save"] == ("(empty)",)
    assert setup.settings["appendonly"] == ("no",)
