"""Availability across a run's faulted trials: one row per trial × fault, beside the
summary `summarize()` makes of the same trials (docs/faults.md).

The figures are computed from the samples and the manifest's `faults` (as the manifest's
`availability` blocks were when the trial was written, `bakeoff.results.availability`),
beside its `lost_writes` counts; so is the per-interval series behind the timeline.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import pandas as pd

from bakeoff.core.faults import OPERATOR_KINDS
from bakeoff.core.histogram import merge_encoded, percentiles_us
from bakeoff.results.availability import AVAILABILITY_COLUMNS, availability, per_interval
from bakeoff.results.reader import StoredRun
from bakeoff.results.schema import success_rows

LOST_WRITE_COLUMNS = (
    "acknowledged_writes",
    "indeterminate_writes",
    "stable",
    "lost",
    "stale",
    "read_at",
)
AVAILABILITY_SUMMARY_COLUMNS = (
    "run_id",
    "trial",
    "repetition",
    "engine",
    "workload",
    "workload_hash",
    *AVAILABILITY_COLUMNS,
    *LOST_WRITE_COLUMNS,
    "durability",
    "operator_actions",
)
"""`durability`: the trial's settings that decide what a fault may lose (names with
fsync, sync, appendonly, save, consistency, replication, durab or commit in them).
`operator_actions`: the trial's scheduled promotions and repoints, as applied (a list
of {fault, node_name, started_s}; they get no figures of their own)."""
SERIES_COLUMNS = (
    *("run_id", "trial", "engine", "workload", "start_s", "duration_s"),
    *("ops_per_s", "errors_per_s", "p50_us", "p99_us"),
)
_DURABILITY_WORDS = (
    *("fsync", "sync", "appendonly", "save", "consistency", "replica", "durab"),
    *("commit", "wal"),
)


def durability_settings(settings: Mapping[str, Any]) -> str:
    """The settings that decide what a fault may lose, as `name=value, ...`."""
    picked = {
        str(k): v
        for k, v in settings.items()
        if any(w in str(k).lower() for w in _DURABILITY_WORDS)
    }
    return ", ".join(f"{k}={v}" for k, v in sorted(picked.items()))


def operator_actions(faults: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The promotions and repoints among a trial's faults, as applied."""
    return [
        {k: f.get(k) for k in ("fault", "node_name", "started_s")}
        for f in faults
        if f.get("kind") in OPERATOR_KINDS and f.get("started_s") is not None
    ]


def faulted_intervals(run: StoredRun) -> Iterator[tuple[Mapping[str, Any], pd.DataFrame]]:
    """Each faulted trial's manifest entry and its measure phase per interval
    (`per_interval`, to the phase's end), from the samples."""
    faulted = {int(t["trial"]): t for t in run.trials if t.get("faults")}
    if not faulted:
        return
    samples = run.samples()
    measured = samples[
        (samples["phase"] == "measure")
        & (samples["latency_kind"] == "service")
        & samples["trial"].isin(list(faulted))
    ]
    columns = ["interval", "start_s", "duration_s", "count", "errors", "histogram"]
    for trial_number, rows in success_rows(measured).groupby("trial", sort=True):
        trial = faulted[int(str(trial_number))]
        measure = (trial.get("load_generator") or {}).get("measure") or {}
        wall_s = measure.get("wall_s")
        phase_s = float(wall_s) if isinstance(wall_s, int | float) else None
        yield trial, per_interval(rows[columns].rename(columns={"count": "ok"}), phase_s)


def summarize_availability(run: StoredRun) -> pd.DataFrame:
    """Per faulted trial of `run` and per fault: the availability figures (computed from
    the samples again, so a report shows today's definitions), the trial's lost-write
    counts and its durability settings."""
    rows = []
    for trial, per in faulted_intervals(run):
        lost = trial.get("lost_writes") or {}
        common = {
            "run_id": run.run_id,
            "trial": trial.get("trial"),
            "repetition": trial.get("repetition"),
            "engine": trial.get("engine"),
            "workload": trial.get("workload"),
            "workload_hash": trial.get("workload_hash"),
            **{c: lost.get(c) for c in LOST_WRITE_COLUMNS},
            "durability": durability_settings(trial.get("settings") or {}),
            "operator_actions": operator_actions(trial.get("faults") or ()),
        }
        for entry in availability(per, trial.get("faults") or ()):
            rows.append({**common, **{c: entry.get(c) for c in AVAILABILITY_COLUMNS}})
    return pd.DataFrame(rows, columns=list(AVAILABILITY_SUMMARY_COLUMNS))


def fault_series(run: StoredRun) -> pd.DataFrame:
    """Per faulted trial and interval of the measure phase: successful operations and
    errors per second, and the p50 and p99 of the successes (µs); empty intervals
    included."""
    frames = []
    for trial, per in faulted_intervals(run):
        width = per["duration_s"].where(per["duration_s"] > 0)
        frames.append(
            pd.DataFrame(
                {
                    "run_id": run.run_id,
                    "trial": trial.get("trial"),
                    "engine": trial.get("engine"),
                    "workload": trial.get("workload"),
                    "start_s": per["start_s"],
                    "duration_s": per["duration_s"],
                    "ops_per_s": per["ok"] / width,
                    "errors_per_s": per["errors"] / width,
                    "p50_us": [_percentile(h, "p50_us") for h in per["histograms"]],
                    "p99_us": [_percentile(h, "p99_us") for h in per["histograms"]],
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=list(SERIES_COLUMNS))
    return pd.concat(frames, ignore_index=True)[list(SERIES_COLUMNS)]


def _percentile(encoded: list[str], name: str) -> float | None:
    hist = merge_encoded(encoded)
    return percentiles_us(hist)[name] if hist.total_count else None
