"""Change points across a history, found with Apache Otava's e-divisive variant.

Each series is one engine × workload × host × operation × metric, one point per run (the
median over its trials), ordered by the run's start. Otava (formerly Hunter, Fleming et
al., ICPE 2023) splits the series where its distribution shifts and keeps a split when a
t-test says both sides differ at `max_pvalue`. bakeoff only prepares the series, labels
each change point with the commits and engine versions around it, and decides whether the
newest run starts a regression.

Why Otava and not MongoDB's signal-processing-algorithms: the latter requires numpy < 2
and Python 3.11 exactly, which would hold pandas below 3 and the whole project on one
Python; Otava's analysis module needs only numpy and scipy, and its pins are confined to
the `regress` extra.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from bakeoff.core.formats import format_metric, json_number
from bakeoff.gate import history as hist
from bakeoff.gate.metrics import METRICS

INSTALL_HINT = "change-point detection needs apache-otava: pip install 'bakeoff[regress]'"


class RegressError(ValueError):
    """The history cannot be analysed as asked (a usage error)."""


@dataclass(frozen=True)
class RegressOptions:
    metrics: tuple[str, ...] = ("throughput", "p50", "p99")
    max_pvalue: float = 0.001
    """Significance a split must reach (Otava's default)."""
    threshold: float = 0.05
    """Smallest relative change of the mean that is reported."""
    window: int = 50
    """Otava's sliding window: points analysed together."""
    newest: int = 1
    """A regression starting in this many newest runs fails the check."""
    min_points: int = 4
    """Shorter series are listed as too short rather than analysed."""

    def __post_init__(self) -> None:
        unknown = [m for m in self.metrics if m not in METRICS]
        if unknown or not self.metrics:
            raise RegressError(
                f"unknown metric(s) {unknown or '(none given)'}; choose from {list(METRICS)}"
            )
        if not 0.0 < self.max_pvalue < 1.0:
            raise RegressError(f"max p-value must be in (0, 1), got {self.max_pvalue}")
        if self.window < 2:
            raise RegressError(f"the window must hold at least 2 points, got {self.window}")
        if self.newest < 1:
            raise RegressError(f"--newest must be at least 1, got {self.newest}")
        if self.min_points < 3:
            raise RegressError(f"min points must be at least 3, got {self.min_points}")


@dataclass(frozen=True)
class ChangePoint:
    engine: str
    workload: str
    operation: str
    metric: str
    unit: str
    host_fingerprint: str
    index: int
    """Position in the series of the first run after the change."""
    points: int
    """Length of the series."""
    run_id: str
    started_at: str
    git_sha: str | None
    previous_run_id: str
    previous_git_sha: str | None
    engine_version: str
    previous_engine_version: str
    mean_before: float
    mean_after: float
    change: float
    """mean_after / mean_before - 1."""
    p_value: float
    regression: bool
    """The change goes the bad way for this metric."""
    newest: bool
    """The change starts within the newest runs (`RegressOptions.newest`)."""


@dataclass(frozen=True)
class Series:
    engine: str
    workload: str
    operation: str
    metric: str
    host_fingerprint: str
    points: int
    analysed: bool


@dataclass(frozen=True)
class RegressReport:
    change_points: list[ChangePoint]
    series: list[Series]
    options: RegressOptions
    history: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def failing(self) -> list[ChangePoint]:
        return [c for c in self.change_points if c.regression and c.newest]

    @property
    def exit_code(self) -> int:
        return 1 if self.failing else 0

    def to_dict(self) -> dict[str, object]:
        return {
            "history": self.history,
            "options": {**asdict(self.options), "metrics": list(self.options.metrics)},
            "exit_code": self.exit_code,
            "series": [asdict(s) for s in self.series],
            "change_points": [
                {k: json_number(v) for k, v in asdict(c).items()} for c in self.change_points
            ],
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def to_markdown(self) -> str:
        return render_markdown(self)


def _otava() -> Any:
    try:
        from otava import analysis
    except ModuleNotFoundError as exc:
        raise RegressError(INSTALL_HINT) from exc
    return analysis


def change_points(
    values: Sequence[float], *, max_pvalue: float, threshold: float, window: int
) -> list[tuple[int, float, float, float]]:
    """(index, mean before, mean after, p-value) of each change point Otava keeps."""
    analysis = _otava()
    found, _weak = analysis.compute_change_points(
        [float(v) for v in values],
        window_len=window,
        max_pvalue=max_pvalue,
        min_magnitude=threshold,
    )
    out: list[tuple[int, float, float, float]] = []
    for cp in found:
        stats = cp.stats
        out.append((int(cp.index), float(stats.mean_1), float(stats.mean_2), float(stats.pvalue)))
    return out


def detect(history: Path | str, options: RegressOptions | None = None) -> RegressReport:
    """Change points in every series of a history."""
    options = options or RegressOptions()
    _otava()
    try:
        root = hist.require(history)
    except hist.HistoryError as exc:
        raise RegressError(str(exc)) from exc
    columns = tuple(METRICS[m].column for m in options.metrics)
    medians = hist.run_medians(root, columns)
    if medians.empty:
        raise RegressError(f"{root}: the history holds no run yet")
    found: list[ChangePoint] = []
    series: list[Series] = []
    for key, group in medians.groupby(list(hist.SERIES_KEYS), sort=True, dropna=False):
        engine, workload, _hash, fingerprint, operation = (str(k) for k in key)
        rows = group.sort_values(["run_started_at", "run_id"]).reset_index(drop=True)
        for name in options.metrics:
            metric = METRICS[name]
            values = [float(v) for v in rows[metric.column]]
            usable = len(values) >= options.min_points and all(math.isfinite(v) for v in values)
            series.append(
                Series(engine, workload, operation, name, fingerprint, len(values), usable)
            )
            if not usable:
                continue
            for index, before, after, p_value in change_points(
                values,
                max_pvalue=options.max_pvalue,
                threshold=options.threshold,
                window=options.window,
            ):
                found.append(
                    _change_point(rows, metric.name, index, before, after, p_value, options)
                )
    notes: list[str] = []
    short = [s for s in series if not s.analysed]
    if short:
        notes.append(
            f"{len(short)} series have fewer than {options.min_points} runs (or a gap) and "
            "were not analysed"
        )
    return RegressReport(found, series, options, str(root), notes)


def _change_point(
    rows: pd.DataFrame,
    metric_name: str,
    index: int,
    before: float,
    after: float,
    p_value: float,
    options: RegressOptions,
) -> ChangePoint:
    metric = METRICS[metric_name]
    at, prev = rows.iloc[index], rows.iloc[index - 1]
    change = after / before - 1.0 if before else math.nan
    worse = change < 0.0 if metric.higher_is_better else change > 0.0
    return ChangePoint(
        engine=str(at["engine"]),
        workload=str(at["workload"]),
        operation=str(at["operation"]),
        metric=metric.name,
        unit=metric.unit,
        host_fingerprint=str(at["host_fingerprint"]),
        index=index,
        points=len(rows),
        run_id=str(at["run_id"]),
        started_at=pd.Timestamp(at["run_started_at"]).isoformat(),
        git_sha=_opt_str(at["git_sha"]),
        previous_run_id=str(prev["run_id"]),
        previous_git_sha=_opt_str(prev["git_sha"]),
        engine_version=str(at["engine_version"]),
        previous_engine_version=str(prev["engine_version"]),
        mean_before=before,
        mean_after=after,
        change=change,
        p_value=p_value,
        regression=bool(worse and math.isfinite(change)),
        newest=index >= len(rows) - options.newest,
    )


def _opt_str(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def _sha(value: str | None) -> str:
    return value[:10] if value else "?"


def describe(cp: ChangePoint) -> str:
    """One line: where, how much, and between which commits."""
    kind = "regression" if cp.regression else "improvement"
    versions = (
        f"; engine {cp.previous_engine_version} → {cp.engine_version}"
        if cp.engine_version != cp.previous_engine_version
        else ""
    )
    return (
        f"{cp.engine}/{cp.workload}/{cp.operation} {cp.metric}: {kind} {cp.change:+.1%} "
        f"({_before_after(cp)}, "
        f"p = {cp.p_value:.2g}) between {_sha(cp.previous_git_sha)} and {_sha(cp.git_sha)} "
        f"(run {cp.run_id}, point {cp.index + 1} of {cp.points}){versions}"
    )


def _before_after(cp: ChangePoint) -> str:
    before, after = (format_metric(v, cp.unit) for v in (cp.mean_before, cp.mean_after))
    return f"{before} → {after} {cp.unit}"


def render_markdown(report: RegressReport) -> str:
    head = (
        f"REGRESSION in the newest run: {len(report.failing)} series"
        if report.failing
        else "no regression starts in the newest run"
    )
    lines = [
        f"### bakeoff regress: {head}",
        "",
        f"{len(report.series)} series, {len(report.change_points)} change points "
        f"(p < {report.options.max_pvalue:g}, change ≥ {report.options.threshold:.0%}).",
        "",
    ]
    if report.change_points:
        lines += [
            "| series | metric | change | before → after | commits | run | newest |",
            "|---|---|---:|---:|---|---|---|",
        ]
        for cp in report.change_points:
            mark = "🔴" if cp.regression else "🟢"
            lines.append(
                f"| {cp.engine}/{cp.workload}/{cp.operation} | {cp.metric} "
                f"| {mark} {cp.change:+.1%} "
                f"| {_before_after(cp)} "
                f"| {_sha(cp.previous_git_sha)} → {_sha(cp.git_sha)} | {cp.run_id} "
                f"| {'yes' if cp.newest else ''} |"
            )
    lines.extend(f"- {note}" for note in report.notes)
    return "\n".join(lines) + "\n"
