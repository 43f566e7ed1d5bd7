"""Availability under faults, from a trial's measure-phase interval rows (docs/faults.md).

Per fault, with t0 its actual start and the window running to the next fault's start
(or the phase end):

- **baseline**: the median rate of successful operations over the full intervals that
  end before t0 without an error or a stall (so an earlier fault's outage stays out);
- **detect_s**: from t0 to the start of the first interval at or after it with an error
  or no successful operation (a stall); None when none shows;
- **unavailable_s**: the total width of the window's intervals with an error or with
  no successful operation;
- **recovery_s**: from t0 to the start of the first stretch, after the first unhealthy
  interval, of at least one second (or to the window's end) without an error or empty
  interval and at 90 % of the baseline on average; None when the window ends first;
- **p99 before / during / after** (µs, successful operations): before t0, from t0 to
  the recovery, and from the recovery to the window's end.

Every figure is resolved to the interval width (`resolution_s`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from bakeoff.core.faults import OPERATOR_KINDS
from bakeoff.core.histogram import merge_encoded, percentiles_us
from bakeoff.core.measures import IntervalRow, LatencyKind, Phase
from bakeoff.harness.trial import TrialRecord

RECOVERED_SHARE = 0.9
"""Throughput back to this share of the pre-fault baseline counts as recovered."""
RECOVERED_FOR_S = 1.0
"""...for at least this long (or to the end of the fault's window)."""
AVAILABILITY_COLUMNS = (
    "fault",
    "node_name",
    "started_s",
    "ended_s",
    "resolution_s",
    "baseline_ops_per_s",
    "detect_s",
    "unavailable_s",
    "recovery_s",
    "p99_before_us",
    "p99_during_us",
    "p99_after_us",
)


def intervals(rows: Iterable[IntervalRow], phase_s: float | None = None) -> pd.DataFrame:
    """One row per interval of the measure phase (service time, all operations): start_s,
    duration_s, ok, errors, and the successes' encoded histograms."""
    records = [
        (
            r.interval,
            r.start_s,
            r.duration_s,
            r.count,
            r.errors_transient + r.errors_fatal + r.errors_unsupported,
            r.histogram,
        )
        for r in rows
        if r.phase is Phase.MEASURE and r.latency_kind is LatencyKind.SERVICE
    ]
    frame = pd.DataFrame(
        records, columns=["interval", "start_s", "duration_s", "ok", "errors", "histogram"]
    )
    return per_interval(frame, phase_s)


def per_interval(frame: pd.DataFrame, phase_s: float | None = None) -> pd.DataFrame:
    """`frame` (interval, start_s, duration_s, ok, errors, histogram) merged per interval,
    to the phase's end (`phase_s`, its wall time) when given: the intervals at its end in
    which nothing completed have no rows either."""
    if frame.empty:
        return pd.DataFrame(columns=["start_s", "duration_s", "ok", "errors", "histograms"])
    grouped = frame.groupby("interval", sort=True)
    merged = grouped.agg(
        start_s=("start_s", "min"),
        duration_s=("duration_s", "max"),
        ok=("ok", "sum"),
        errors=("errors", "sum"),
        histograms=("histogram", lambda h: [s for s in h if s]),
    )
    # An interval in which nothing completed has no row at all: it is the outage itself.
    width = float(merged["duration_s"].max())
    last = int(merged.index.max())
    if phase_s is not None and phase_s > (last + 1) * width:
        last = math.ceil(phase_s / width - 1e-9) - 1
    full = merged.reindex(range(last + 1))
    missing = full["start_s"].isna()
    full.loc[missing, "start_s"] = full.index[missing] * width
    full.loc[missing, "duration_s"] = width
    if phase_s is not None and missing.iloc[-1]:  # the phase's last, partial interval
        full.loc[last, "duration_s"] = max(0.0, phase_s - last * width)
    full.loc[missing, ["ok", "errors"]] = 0
    full["histograms"] = [h if isinstance(h, list) else [] for h in full["histograms"]]
    return full.reset_index(drop=True)


def _p99(window: pd.DataFrame) -> float | None:
    encoded = [s for hs in window["histograms"] for s in hs]
    hist = merge_encoded(encoded)
    return percentiles_us(hist)["p99_us"] if hist.total_count else None


def _baseline(before: pd.DataFrame) -> float:
    """The median rate of the full intervals before the fault without an error or a stall
    (robust to a slow start, and to an earlier fault's outage)."""
    full = before[before["duration_s"] >= before["duration_s"].max() - 1e-9]
    full = full[(full["errors"] == 0) & (full["ok"] > 0)]
    return float((full["ok"] / full["duration_s"]).median()) if not full.empty else math.nan


def fault_availability(
    per: pd.DataFrame, fault: Mapping[str, Any], window_end_s: float
) -> dict[str, object]:
    """The availability figures of one fault (see the module's docstring)."""
    t0 = fault.get("started_s")
    entry: dict[str, object] = {
        "fault": fault.get("fault"),
        "node_name": fault.get("node_name"),
        "started_s": t0,
        "ended_s": fault.get("ended_s"),
        "resolution_s": float(per["duration_s"].max()) if not per.empty else None,
    }
    if not fault.get("applied", True):
        return {**entry, "error": fault.get("error") or "not applied"}
    if t0 is None or per.empty:
        return entry
    start = float(t0)
    ends = per["start_s"] + per["duration_s"]
    before = per[ends <= start + 1e-9]
    # An interval belongs to the next fault's window once most of it lies there.
    middles = per["start_s"] + per["duration_s"] / 2
    window = per[(ends > start) & (middles < window_end_s)].reset_index(drop=True)
    baseline = _baseline(before)
    bad = (window["errors"] > 0) | (window["ok"] == 0)
    detect = window[bad]
    recovered_at = _recovered_at(window, bad, baseline, start)
    during = window[window["start_s"] < recovered_at] if recovered_at is not None else window
    after = window[window["start_s"] >= recovered_at] if recovered_at is not None else None
    entry.update(
        baseline_ops_per_s=None if math.isnan(baseline) else round(baseline, 1),
        detect_s=max(0.0, float(detect["start_s"].iloc[0]) - start) if not detect.empty else None,
        unavailable_s=round(float(window.loc[bad, "duration_s"].sum()), 3),
        recovery_s=None if recovered_at is None else round(max(0.0, recovered_at - start), 3),
        p99_before_us=_p99(before) if not before.empty else None,
        p99_during_us=_p99(during) if not during.empty else None,
        p99_after_us=_p99(after) if after is not None and not after.empty else None,
    )
    return entry


def _recovered_at(
    window: pd.DataFrame, bad: pd.Series, baseline: float, start: float
) -> float | None:
    """Start of the first stretch of RECOVERED_FOR_S (or to the window's end) after the
    first unhealthy interval that has no bad interval, whose first interval and mean
    rate are back to RECOVERED_SHARE of the baseline; `start` when no interval was
    unhealthy."""
    starts = window["start_s"].tolist()
    widths = window["duration_s"].tolist()
    oks = window["ok"].tolist()
    bads = bad.tolist()
    target = RECOVERED_SHARE * baseline if not math.isnan(baseline) else 0.0

    def healthy(i: int, j: int) -> bool:
        seconds = sum(widths[i:j])
        return not any(bads[i:j]) and seconds > 0 and sum(oks[i:j]) / seconds >= target

    unhealthy = [i for i in range(len(starts)) if not healthy(i, i + 1)]
    if not unhealthy:
        return start
    for i in range(unhealthy[0] + 1, len(starts)):
        j, span = i, 0.0
        while j < len(starts) and span < RECOVERED_FOR_S - 1e-9:
            span, j = span + widths[j], j + 1
        if healthy(i, i + 1) and healthy(i, j):
            return max(float(starts[i]), start)
    return None


def availability(per: pd.DataFrame, faults: Sequence[Mapping[str, Any]]) -> list[dict[str, object]]:
    """Per fault, in schedule order, the availability figures over its window.

    Operator actions (promote, repoint) are responses to a fault, not faults: they get no
    figures of their own and do not end the window of the fault they answer, so a
    primary's kill is judged through the promotion to the recovery.
    """
    phase_end = float((per["start_s"] + per["duration_s"]).max()) if not per.empty else 0.0
    judged = [f for f in faults if f.get("kind") not in OPERATOR_KINDS]
    starts = [f.get("started_s") for f in judged]
    result = []
    for i, fault in enumerate(judged):
        later = [float(s) for s in starts[i + 1 :] if s is not None]
        result.append(fault_availability(per, fault, min(later, default=phase_end)))
    return result


def fault_entries(trial: TrialRecord) -> dict[str, object]:
    """A faulted trial's manifest blocks: its faults as applied, their availability
    figures, and the lost-write count."""
    faults = [dict(f) for f in trial.faults]
    measure = trial.load_generator.get("measure")
    wall_s = measure.get("wall_s") if isinstance(measure, Mapping) else None
    phase_s = float(wall_s) if isinstance(wall_s, int | float) else None
    return {
        "faults": faults,
        "availability": availability(intervals(trial.rows, phase_s), faults),
        "lost_writes": dict(trial.lost_writes),
    }
