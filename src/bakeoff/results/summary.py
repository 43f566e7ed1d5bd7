"""One row per trial and operation: throughput, errors, latency percentiles, and the
checks that say whether the trial's numbers mean anything (`bakeoff.results.validity`).

Percentiles come from the exact merge of the interval histograms; averaging per-interval
percentiles would be wrong, and so would averaging across workers. Figures across
repetitions (the median trial, pooled percentiles) are `bakeoff.results.figures`'.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

from bakeoff.core.histogram import Histogram, merge_encoded, percentiles_us
from bakeoff.core.measures import LatencyKind, Phase
from bakeoff.results.schema import COLUMNS, LATENCY_COLUMNS, TRIAL_COLUMNS, success_rows
from bakeoff.results.validity import TRIAL_CHECK_COLUMNS, interval_stats, trial_checks

TOTAL = "TOTAL"
"""The `operation` of the row that merges all operations of a trial."""

SUMMARY_COLUMNS = (
    *TRIAL_COLUMNS,
    "operation",
    "duration_s",
    "ops_per_s",
    "count",
    "errors",
    "not_found",
    "p50_us",
    "p90_us",
    "p99_us",
    "p999_us",
    "max_us",
    "mean_us",
    *TRIAL_CHECK_COLUMNS,
)
"""`intervals` … `extreme_max` are the trial's checks (`bakeoff.results.validity`):
full intervals measured, the CV of their throughput, and whether the phase was too short,
unstable across its intervals, or had a maximum far beyond its p99.9."""
_INT_COLUMNS = ("trial", "repetition", "count", "errors", "not_found", "intervals")
_FLOAT_COLUMNS = ("duration_s", "ops_per_s", *LATENCY_COLUMNS, "interval_cv")
_BOOL_COLUMNS = ("too_short", "unstable", "extreme_max")


def typed_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with the summary's integer and float columns typed as `summarize` types them."""
    return frame.astype(
        {
            **dict.fromkeys(_INT_COLUMNS, "int64"),
            **dict.fromkeys(_FLOAT_COLUMNS, "float64"),
            **dict.fromkeys(_BOOL_COLUMNS, "bool"),
        }
    )


def summarize(
    df: pd.DataFrame, *, phase: str = "measure", latency_kind: str = "service"
) -> pd.DataFrame:
    """Per trial, one row per operation plus a TOTAL row, from the rows of `load()`.

    `duration_s` is the phase's wall time, the end of its last interval over all
    operations of the trial; `ops_per_s` is successful operations over that time. The
    interval columns describe the whole trial (all operations), so every row of a trial
    carries the same `intervals`, `interval_cv`, `too_short` and `unstable`.
    """
    phase_value = Phase(phase).value
    kind_value = LatencyKind(latency_kind).value
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"not a bakeoff samples frame: missing columns {missing}")

    rows: list[dict[str, object]] = []
    in_phase = success_rows(df[df["phase"] == phase_value])
    for key, trial_rows in in_phase.groupby(list(TRIAL_COLUMNS), sort=True, dropna=False):
        # The phase lasts as long as its last interval whatever the latency kind, so the
        # wall time is taken before selecting one kind.
        duration = float((trial_rows["start_s"] + trial_rows["duration_s"]).max())
        selected = trial_rows[trial_rows["latency_kind"] == kind_value]
        if selected.empty:
            continue
        trial = dict(zip(TRIAL_COLUMNS, _as_tuple(key), strict=True))
        intervals = interval_stats(selected)
        for operation, op_rows in selected.groupby("operation", sort=True):
            hist = _merge(op_rows["histogram"])
            rows.append(_summary_row(trial, str(operation), duration, op_rows, hist, intervals))
        total = _merge(selected["histogram"])
        rows.append(_summary_row(trial, TOTAL, duration, selected, total, intervals))

    return typed_summary(pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS)))


def _as_tuple(key: object) -> tuple[object, ...]:
    return key if isinstance(key, tuple) else (key,)


def _summary_row(
    trial: dict[str, object],
    operation: str,
    duration: float,
    rows: pd.DataFrame,
    hist: Histogram,
    intervals: tuple[int, float],
) -> dict[str, object]:
    count = int(rows["count"].sum())
    latencies = percentiles_us(hist)
    return {
        **trial,
        "operation": operation,
        "duration_s": duration,
        "ops_per_s": count / duration if duration > 0 else math.nan,
        "count": count,
        "errors": int(rows["errors"].sum()),
        "not_found": int(rows["not_found"].sum()),
        **latencies,
        **trial_checks(duration, *intervals, latencies["p999_us"], latencies["max_us"]),
    }


def _merge(encoded: Iterable[str]) -> Histogram:
    # An interval without a successful operation may carry no histogram at all.
    return merge_encoded(s for s in encoded if s)
