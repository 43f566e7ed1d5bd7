"""Per-trial metrics of stored runs: what the gate compares, and how it finds them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bakeoff.core.formats import RATE_UNIT
from bakeoff.core.histogram import HistogramError
from bakeoff.results.reader import load, ok_trial_keys, read_runs
from bakeoff.results.summary import summarize


class CompareError(ValueError):
    """The inputs cannot be compared (a usage error: exit 2)."""


@dataclass(frozen=True)
class Metric:
    name: str
    column: str
    """Column of `summarize()` that holds it, per trial."""
    unit: str
    higher_is_better: bool


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("throughput", "ops_per_s", RATE_UNIT, higher_is_better=True),
        Metric("p50", "p50_us", "µs", higher_is_better=False),
        Metric("p99", "p99_us", "µs", higher_is_better=False),
        Metric("p99.9", "p999_us", "µs", higher_is_better=False),
    )
}


def trial_metrics(
    samples: pd.DataFrame, *, ok_trials: set[tuple[str, int]] | None = None
) -> pd.DataFrame:
    """`summarize()` of the measured phase, one row per trial × operation.

    `ok_trials` ((run_id, trial) pairs) drops trials that failed: a trial cut short by an
    error measures the failure, not the engine.
    """
    summary = summarize(samples)
    if ok_trials is not None and not summary.empty:
        keys = zip(summary["run_id"].astype(str), summary["trial"].astype(int), strict=True)
        summary = summary[[k in ok_trials for k in keys]]
    return summary.reset_index(drop=True)


def load_trial_metrics(path: Path) -> pd.DataFrame:
    """Per-trial metrics of a run directory or of every run in a results folder."""
    try:
        runs = read_runs([Path(path)])
        samples = load([run.path for run in runs])
        return trial_metrics(samples, ok_trials=ok_trial_keys(runs))
    except HistogramError as exc:
        raise CompareError(f"{path}: {exc}") from exc
    except (OSError, ValueError) as exc:
        raise CompareError(str(exc)) from exc
