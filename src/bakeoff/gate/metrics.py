"""Per-trial metrics of stored runs: what the gate compares, and how it finds them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bakeoff.results.store import MANIFEST_FILE, SAMPLES_FILE, load, load_manifest
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
        Metric("throughput", "ops_per_s", "ops/s", higher_is_better=True),
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


def run_dirs(path: Path) -> list[Path]:
    """The finished run directories a path names: itself, or those inside a folder."""
    if (path / SAMPLES_FILE).is_file():
        return [path]
    if not path.is_dir():
        return []
    return sorted(
        child
        for child in path.iterdir()
        if child.is_dir() and not child.name.startswith(".") and (child / SAMPLES_FILE).is_file()
    )


def ok_trial_keys(dirs: Iterable[Path]) -> set[tuple[str, int]]:
    """(run_id, trial) of every trial whose manifest status is ok."""
    keys: set[tuple[str, int]] = set()
    for run_dir in dirs:
        if not (run_dir / MANIFEST_FILE).is_file():
            continue
        manifest = load_manifest(run_dir)
        run_id = str(manifest.get("run_id", run_dir.name))
        trials = manifest.get("trials", [])
        for entry in trials if isinstance(trials, list) else []:
            if isinstance(entry, Mapping) and entry.get("status") == "ok":
                keys.add((run_id, int(entry["trial"])))
    return keys


def load_trial_metrics(path: Path) -> pd.DataFrame:
    """Per-trial metrics of a run directory or of every run in a results folder."""
    path = Path(path)
    if not path.exists():
        raise CompareError(f"{path}: no such run directory or results folder")
    dirs = run_dirs(path)
    if not dirs:
        raise CompareError(f"{path}: not a bakeoff run directory or a folder of runs")
    try:
        samples = load(dirs)
    except (OSError, ValueError) as exc:
        raise CompareError(str(exc)) from exc
    return trial_metrics(samples, ok_trials=ok_trial_keys(dirs))
