"""summarize()'s checks: too short, unstable across intervals, extreme maxima."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from bakeoff.core.measures import IntervalRow
from bakeoff.results import RunWriter, load, summarize
from bakeoff.results.summary import TOTAL
from bakeoff.results.validity import (
    EXTREME_MAX_RATIO,
    MIN_INTERVALS,
    MIN_MEASURED_S,
    UNSTABLE_CV,
    client_checks,
    interval_stats,
)

_summary_tests = importlib.import_module("test_summary")
interval_row: Callable[..., IntervalRow] = _summary_tests.interval_row
trial_record: Callable[..., Any] = _summary_tests.trial_record


def summary_of(tmp_path: Path, rows: list[IntervalRow]) -> pd.DataFrame:
    writer = RunWriter(tmp_path, run_id="checks")
    writer.add_trial(trial_record(0, rows))
    return summarize(load(writer.finish("ok"))).set_index("operation")


def steady(intervals: int, per_interval: int, *, width_s: float = 1.0) -> list[IntervalRow]:
    return [
        interval_row("read", i, [50_000 + 10 * j for j in range(per_interval)], duration_s=width_s)
        for i in range(intervals)
    ]


def test_a_thousand_operation_phase_is_too_short(tmp_path: Path) -> None:
    # The README's old main job: 1,000 operations, 0.04 s, one interval.
    summary = summary_of(tmp_path, steady(1, 1000, width_s=0.04))
    row = summary.loc[TOTAL]
    assert row["intervals"] == 1 and pd.isna(row["interval_cv"])
    assert row["too_short"] and not row["unstable"]
    assert summary.loc["read", "too_short"]


def test_a_steady_phase_long_enough_passes_every_check(tmp_path: Path) -> None:
    summary = summary_of(tmp_path, steady(max(MIN_INTERVALS, int(MIN_MEASURED_S)) + 1, 200))
    row = summary.loc[TOTAL]
    assert row["intervals"] == 6 and row["interval_cv"] == 0.0
    assert not row["too_short"] and not row["unstable"] and not row["extreme_max"]


def test_many_narrow_intervals_are_still_too_short(tmp_path: Path) -> None:
    summary = summary_of(tmp_path, steady(20, 100, width_s=0.1))
    assert summary.loc[TOTAL, "intervals"] == 20 and summary.loc[TOTAL, "too_short"]


def test_a_trial_whose_throughput_halves_is_unstable(tmp_path: Path) -> None:
    rows = [
        interval_row("read", i, [50_000] * (200 if i < 4 else 100), duration_s=1.0)
        for i in range(8)
    ]
    row = summary_of(tmp_path, rows).loc[TOTAL]
    assert row["interval_cv"] > UNSTABLE_CV and row["unstable"]


def test_the_closing_sliver_is_no_interval(tmp_path: Path) -> None:
    rows = steady(6, 200)
    frame = pd.DataFrame(
        {"interval": [*range(6), 6], "count": [200] * 6 + [3], "duration_s": [1.0] * 6 + [0.01]}
    )
    assert interval_stats(frame) == (6, 0.0)
    assert summary_of(tmp_path, rows).loc[TOTAL, "intervals"] == 6


def test_a_stall_far_beyond_the_p999_is_an_extreme_max(tmp_path: Path) -> None:
    values = [100_000] * 4999 + [int(100_000 * EXTREME_MAX_RATIO * 20)]
    rows = [interval_row("read", i, values if i == 0 else values[:-1]) for i in range(6)]
    row = summary_of(tmp_path, rows).loc[TOTAL]
    assert row["max_us"] > EXTREME_MAX_RATIO * row["p999_us"] and row["extreme_max"]


def test_client_checks_read_the_load_generator_section() -> None:
    manifest = {
        "run_id": "r",
        "trials": [
            {"trial": 0, "load_generator": {"measure": {"client_saturated": None}}},
            {
                "trial": 1,
                "load_generator": {
                    "measure": {"client_saturated": True, "client_process_utilisation": [0.5, 0.97]}
                },
            },
            {"trial": 2, "status": "failed"},
        ],
    }
    checks = client_checks(manifest).set_index("trial")
    assert list(checks.columns) == ["run_id", "client_saturated", "busiest_client_process"]
    assert checks.loc[1, "client_saturated"] is True
    assert checks.loc[1, "busiest_client_process"] == 0.97
    assert checks.loc[0, "client_saturated"] is None and checks.loc[2, "client_saturated"] is None


def test_a_phase_asked_for_exactly_the_minimum_is_not_too_short(tmp_path: Path) -> None:
    # `--duration 5` ends a hair early; the last of its five intervals is still full.
    rows = steady(MIN_INTERVALS - 1, 100)
    rows.append(interval_row("read", MIN_INTERVALS - 1, [50_000] * 100, duration_s=0.996))
    row = summary_of(tmp_path, rows).loc[TOTAL]
    assert row["duration_s"] < MIN_MEASURED_S and row["intervals"] == MIN_INTERVALS
    assert not row["too_short"]
