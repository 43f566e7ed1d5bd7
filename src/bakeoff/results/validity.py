"""Whether a measured number means anything: the thresholds, and the per-trial checks
`summarize()` adds as columns (measured time, intervals, their CV, extreme maxima).

The thresholds, argued from runs of the shipped engines on a 2-core machine
(docs/reports.md, "Noise and validity", has the measurements):

- a phase shorter than `MIN_MEASURED_S` or with fewer than `MIN_INTERVALS` full
  intervals is too short: the first second of every engine measured holds connection
  set-up, cold caches and the interpreter's own warm-up, and fewer than five intervals
  give no usable spread across intervals;
- throughput varying more than `UNSTABLE_CV` (the one definition `bakeoff compare`
  uses too) across a trial's intervals makes the trial unstable;
- a maximum more than `EXTREME_MAX_RATIO` times the p99.9 is one stall an order of
  magnitude beyond the tail: worth a look before a max is quoted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from bakeoff.results.statistics import UNSTABLE_CV, coefficient_of_variation, is_unstable

MIN_MEASURED_S = 5.0
"""A measured phase shorter than this is flagged too short."""
MIN_INTERVALS = 5
"""A measured phase with fewer full intervals than this is flagged too short."""
EXTREME_MAX_RATIO = 10.0
"""A maximum more than this many times the p99.9 is flagged extreme."""
FULL_INTERVAL = 0.5
"""An interval narrower than this share of the widest is the phase's closing sliver: its
rate rests on a handful of calls, so it counts neither as an interval nor in their CV."""
_MIN_INTERVALS_FOR_CV = 3
_TIMER_SLACK_S = 0.05

TRIAL_CHECK_COLUMNS = ("intervals", "interval_cv", "too_short", "unstable", "extreme_max")
"""Columns `summarize()` adds per trial × operation (see `trial_checks`)."""


def interval_stats(rows: pd.DataFrame) -> tuple[int, float]:
    """(full intervals, CV of their throughput) of one trial's measured rows of one
    latency kind, all operations together. The CV is NaN below three intervals."""
    if rows.empty:
        return 0, math.nan
    per = rows.groupby("interval", sort=False).agg(
        count=("count", "sum"), duration_s=("duration_s", "max")
    )
    per = per[per["duration_s"] > 0]
    if per.empty:
        return 0, math.nan
    full = per[per["duration_s"] >= FULL_INTERVAL * float(per["duration_s"].max())]
    if len(full) < _MIN_INTERVALS_FOR_CV:
        return len(full), math.nan
    rates = (full["count"] / full["duration_s"]).astype(float).tolist()
    return len(full), coefficient_of_variation(rates)


def trial_checks(
    duration_s: float, intervals: int, interval_cv: float, p999_us: float, max_us: float
) -> dict[str, object]:
    """The check columns of one summary row (`TRIAL_CHECK_COLUMNS`)."""
    return {
        "intervals": intervals,
        "interval_cv": interval_cv,
        "too_short": bool(is_too_short(duration_s, intervals)),
        "unstable": bool(is_unstable(interval_cv)),
        "extreme_max": bool(is_extreme_max(p999_us, max_us)),
    }


def is_too_short(duration_s: float, intervals: int) -> bool:
    # A phase asked to last exactly MIN_MEASURED_S ends a few milliseconds either side.
    return duration_s < MIN_MEASURED_S - _TIMER_SLACK_S or intervals < MIN_INTERVALS


def is_extreme_max(p999_us: float, max_us: float) -> bool:
    return math.isfinite(p999_us) and p999_us > 0 and max_us > EXTREME_MAX_RATIO * p999_us


CLIENT_COLUMNS = ("run_id", "trial", "client_saturated", "busiest_client_process")


def client_checks(manifest: Mapping[str, Any]) -> pd.DataFrame:
    """Per trial of a run's manifest, whether the load generator may have been the limit
    (`client_saturated`: True, False, or None when it could not tell, e.g. an engine
    inside the client's own process) and the busiest client process's share of a core.
    Join it to `summarize()` on (run_id, trial)."""
    run_id = str(manifest.get("run_id") or "")
    trials = manifest.get("trials")
    rows = []
    for trial in trials if isinstance(trials, list) else []:
        generator = trial.get("load_generator") if isinstance(trial, Mapping) else None
        measure = generator.get("measure") if isinstance(generator, Mapping) else None
        measure = measure if isinstance(measure, Mapping) else {}
        saturated = measure.get("client_saturated")
        busiest = max(measure.get("client_process_utilisation") or [math.nan])
        rows.append(
            {
                "run_id": run_id,
                "trial": int(trial["trial"]),
                "client_saturated": saturated if isinstance(saturated, bool) else None,
                "busiest_client_process": float(busiest),
            }
        )
    return pd.DataFrame(rows, columns=list(CLIENT_COLUMNS))


__all__ = [
    "CLIENT_COLUMNS",
    "EXTREME_MAX_RATIO",
    "MIN_INTERVALS",
    "MIN_MEASURED_S",
    "TRIAL_CHECK_COLUMNS",
    "UNSTABLE_CV",
    "client_checks",
    "interval_stats",
    "trial_checks",
]
