"""What the runs say about capacity: the manifests' capacity searches (their SLO, method
and each engine's maximum with its steps), the trials swept over a `point`, and a USL
fit per series of closed-loop trials over connections (`bakeoff.results.usl`).

The manifest's `capacity` block is written by `bakeoff capacity` (docs/capacity.md);
everything here is read defensively, as every manifest is: a field missing or of the
wrong type reads as unknown, never as an error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from bakeoff.core.formats import as_text
from bakeoff.report.views import CapacityReport, CapacitySearch, CapacityStep, EngineCapacity
from bakeoff.results.reader import StoredRun
from bakeoff.results.sweep_points import sweep_points, usl_points
from bakeoff.results.usl import fit_series


def capacity_report(runs: Sequence[StoredRun], trials: pd.DataFrame) -> CapacityReport | None:
    """The capacity section's data, or None when no run searched or swept.

    `trials` are the report's per-trial summaries (`ReportData.trials`).
    """
    searches = tuple(s for s in (_search(run) for run in runs) if s is not None)
    points = sweep_points(runs, trials)
    if not searches and points.empty:
        return None
    usl = usl_points(points)
    series_engines = dict(zip(usl["series"], usl["engine"], strict=True))
    return CapacityReport(
        searches=searches,
        points=points,
        fits=fit_series(usl),
        series_engines=series_engines,
    )


def _search(run: StoredRun) -> CapacitySearch | None:
    block = run.manifest.get("capacity")
    if not isinstance(block, Mapping):
        return None
    slo = _mapping(block.get("slo"))
    engines = _mapping(block.get("engines"))
    return CapacitySearch(
        run_id=run.run_id,
        slo=as_text(slo.get("text")),
        slo_percentiles_us={
            str(k): v
            for k, v in ((k, _number(v)) for k, v in _mapping(slo.get("percentiles_us")).items())
            if v is not None
        },
        max_error_rate=_number(slo.get("max_error_rate")),
        method=as_text(block.get("method")),
        budget_s=_number(block.get("budget_s")),
        engines=tuple(_engine(str(name), _mapping(found)) for name, found in engines.items()),
    )


def _engine(name: str, found: Mapping[str, Any]) -> EngineCapacity:
    connections = _number(found.get("connections"))
    steps = found.get("steps")
    return EngineCapacity(
        engine=name,
        max_rate=_number(found.get("max_rate")),
        low=_number(found.get("low")),
        high=_number(found.get("high")),
        uncertainty=as_text(found.get("uncertainty")),
        connections=None if connections is None else int(connections),
        converged=found.get("converged") is True,
        steps=tuple(
            _step(position, _mapping(step))
            for position, step in enumerate(steps if isinstance(steps, list) else [], 1)
        ),
    )


def _step(position: int, step: Mapping[str, Any]) -> CapacityStep:
    number = _number(step.get("step"))
    trial = _number(step.get("trial"))
    reasons = step.get("reasons")
    return CapacityStep(
        step=position if number is None else int(number),
        trial=None if trial is None else int(trial),
        repetition=int(_number(step.get("repetition")) or 0),
        target_rate=_or_nan(step.get("target_rate")),
        achieved_rate=_or_nan(step.get("achieved_rate")),
        percentiles_us={
            str(k): v
            for k, v in ((k, _number(v)) for k, v in _mapping(step.get("percentiles_us")).items())
            if v is not None
        },
        error_rate=_or_nan(step.get("error_rate")),
        duration_s=_or_nan(step.get("duration_s")),
        accepted=step.get("accepted") is True,
        reasons=tuple(as_text(r) for r in reasons) if isinstance(reasons, list) else (),
    )


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _or_nan(value: object) -> float:
    number = _number(value)
    return math.nan if number is None else number
