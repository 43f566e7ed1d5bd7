from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from hdrh.histogram import HdrHistogram

from bakeoff.core.measures import IntervalRow, LatencyKind, Phase
from bakeoff.harness.trial import TrialRecord
from bakeoff.results import RunWriter, load, summarize
from bakeoff.results.summary import SUMMARY_COLUMNS, TOTAL
from bakeoff.workloads.model import OperationMix, Workload

WORKLOAD = Workload(name="ycsb-b", operations=OperationMix(read=0.95, update=0.05))


def interval_row(
    operation: str,
    interval: int,
    values_ns: list[int],
    *,
    phase: Phase = Phase.MEASURE,
    kind: LatencyKind = LatencyKind.SERVICE,
    duration_s: float = 1.0,
    not_found: int = 0,
    errors: tuple[int, int, int] = (0, 0, 0),
) -> IntervalRow:
    hist = HdrHistogram(1, 3_600_000_000_000, 3)
    for v in values_ns:
        hist.record_value(v)
    encoded: bytes = hist.encode()
    return IntervalRow(
        phase=phase,
        operation=operation,
        latency_kind=kind,
        interval=interval,
        start_s=interval * duration_s,
        duration_s=duration_s,
        count=len(values_ns),
        not_found=not_found,
        errors_transient=errors[0],
        errors_fatal=errors[1],
        errors_unsupported=errors[2],
        histogram=encoded.decode("ascii"),
    )


def trial_record(trial: int, rows: list[IntervalRow]) -> TrialRecord:
    start = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
    return TrialRecord(
        trial=trial,
        repetition=trial,
        engine="sqlite",
        engine_version="3.45",
        workload=WORKLOAD,
        endpoint_display_url="sqlite:///bench.db",
        settings={},
        provenance={},
        adapter="sql",
        connections=1,
        seed=1,
        started_at=start,
        ended_at=start,
        status="ok",
        error=None,
        verify={},
        rows=rows,
    )


def reference(values_ns: list[int]) -> dict[str, float]:
    """Percentiles of one histogram fed every value directly."""
    hist = HdrHistogram(1, 3_600_000_000_000, 3)
    for v in values_ns:
        hist.record_value(v)
    return {
        "p50_us": hist.get_value_at_percentile(50) / 1000,
        "p90_us": hist.get_value_at_percentile(90) / 1000,
        "p99_us": hist.get_value_at_percentile(99) / 1000,
        "p999_us": hist.get_value_at_percentile(99.9) / 1000,
        "max_us": hist.get_max_value() / 1000,
        "mean_us": hist.get_mean_value() / 1000,
    }


def latencies(rng: random.Random, n: int, scale_ns: float) -> list[int]:
    # Long-tailed, like real latencies, so that interval percentiles differ from the merge.
    return [max(1, int(rng.lognormvariate(0, 1) * scale_ns)) for _ in range(n)]


def write_run(tmp_path: Path, trials: dict[int, dict[str, list[list[int]]]]) -> pd.DataFrame:
    writer = RunWriter(tmp_path, run_id="sum")
    for trial, per_op in trials.items():
        rows = [
            interval_row(op, i, values, duration_s=1.0)
            for op, intervals in per_op.items()
            for i, values in enumerate(intervals)
        ]
        writer.add_trial(trial_record(trial, rows))
    return load(writer.finish("ok"))


def test_percentiles_come_from_the_exact_merge(tmp_path: Path) -> None:
    rng = random.Random(42)
    reads = [latencies(rng, 300, 200_000) for _ in range(4)]
    # update has fewer intervals: the phase still lasted four seconds.
    updates = [latencies(rng, 50, 2_000_000) for _ in range(3)]
    summary = summarize(write_run(tmp_path, {0: {"read": reads, "update": updates}}))

    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    assert summary["operation"].tolist() == ["read", "update", TOTAL]
    all_reads = [v for chunk in reads for v in chunk]
    all_updates = [v for chunk in updates for v in chunk]
    expected = {
        "read": all_reads,
        "update": all_updates,
        TOTAL: all_reads + all_updates,
    }
    for _, row in summary.iterrows():
        values = expected[row["operation"]]
        ref = reference(values)
        for column in ("p50_us", "p90_us", "p99_us", "p999_us", "max_us"):
            assert row[column] == ref[column], (row["operation"], column)
        assert row["mean_us"] == pytest.approx(ref["mean_us"], rel=1e-12)
        assert row["count"] == len(values)
        assert row["duration_s"] == 4.0
        assert row["ops_per_s"] == pytest.approx(len(values) / 4.0)
        assert row["run_id"] == "sum"
        assert row["trial"] == 0

    # The merge is not the average of the interval percentiles.
    averaged = sum(reference(chunk)["p99_us"] for chunk in reads) / len(reads)
    read_p99 = summary.loc[summary["operation"] == "read", "p99_us"].item()
    assert read_p99 != averaged


def test_one_block_of_rows_per_trial(tmp_path: Path) -> None:
    rng = random.Random(1)
    trials = {t: {"read": [latencies(rng, 20, 100_000)]} for t in (0, 1, 2)}
    summary = summarize(write_run(tmp_path, trials))
    assert summary[["trial", "operation"]].values.tolist() == [
        [t, op] for t in (0, 1, 2) for op in ("read", TOTAL)
    ]


def test_errors_and_not_found_are_counted_apart(tmp_path: Path) -> None:
    frame = frame_of(
        tmp_path,
        [
            interval_row("read", 0, [1_000] * 10, not_found=4, errors=(1, 0, 0)),
            interval_row("read", 1, [2_000] * 10, not_found=1, errors=(0, 2, 3)),
            interval_row("update", 0, [], errors=(2, 0, 0)),
        ],
    )
    summary = summarize(frame).set_index("operation")
    assert summary.loc["read", "errors"] == 6
    assert summary.loc["read", "not_found"] == 5
    assert summary.loc["read", "count"] == 20
    assert summary.loc["update", "count"] == 0
    assert summary.loc["update", "errors"] == 2
    assert summary["p99_us"].isna().tolist() == [False, True, False]
    assert summary.loc[TOTAL, "errors"] == 8
    assert summary.loc[TOTAL, "count"] == 20
    assert summary.loc[TOTAL, "ops_per_s"] == pytest.approx(10.0)


def test_phase_and_latency_kind_select_rows(tmp_path: Path) -> None:
    frame = frame_of(
        tmp_path,
        [
            interval_row("read", 0, [1_000] * 5, phase=Phase.WARMUP, duration_s=9.0),
            interval_row("read", 0, [2_000] * 5),
            interval_row("read", 0, [50_000] * 5, kind=LatencyKind.RESPONSE),
        ],
    )
    service = summarize(frame).set_index("operation")
    assert service.loc["read", "p50_us"] == pytest.approx(2.0, rel=1e-3)
    assert service.loc["read", "duration_s"] == 1.0
    response = summarize(frame, latency_kind="response").set_index("operation")
    assert response.loc["read", "p50_us"] == pytest.approx(50.0, rel=1e-3)
    warmup = summarize(frame, phase="warmup").set_index("operation")
    assert warmup.loc["read", "duration_s"] == 9.0
    assert summarize(frame, phase="load").empty


def test_empty_input_and_bad_arguments(tmp_path: Path) -> None:
    empty = summarize(frame_of(tmp_path, []))
    assert empty.empty
    assert list(empty.columns) == list(SUMMARY_COLUMNS)
    with pytest.raises(ValueError, match="measur"):
        summarize(frame_of(tmp_path, []), phase="measurement")
    with pytest.raises(ValueError, match="missing columns"):
        summarize(pd.DataFrame({"phase": ["measure"]}))


def frame_of(tmp_path: Path, rows: list[IntervalRow]) -> pd.DataFrame:
    writer = RunWriter(tmp_path)
    writer.add_trial(trial_record(0, rows))
    return load(writer.finish("ok"))


def test_latencies_come_from_successes_only_and_errors_are_counted_once(tmp_path: Path) -> None:
    stall = interval_row("read", 1, [5_000_000_000])  # the error histogram: one 5 s timeout
    row = dataclasses.replace(
        interval_row("read", 1, [2_000] * 10, errors=(1, 0, 0)),
        error_histograms=(("transient", stall.histogram),),
    )
    summary = summarize(frame_of(tmp_path, [interval_row("read", 0, [1_000] * 10), row]))
    read = summary.set_index("operation").loc["read"]
    assert (read["count"], read["errors"]) == (20, 1)
    assert read["max_us"] == pytest.approx(2.0, rel=1e-3)
