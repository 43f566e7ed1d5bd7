"""The report's plots per operation over the whole measured phase: latency by
percentile, and throughput with its confidence interval."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from bakeoff.core.formats import format_rate
from bakeoff.report.plot_parts import (
    MAX_NINES,
    WIDTH_IN,
    Plot,
    engine_legend,
    grid,
    log_latency_axis,
    operation_title,
    panels,
    slugify,
)
from bakeoff.report.views import WorkloadReport


def _nines(percentile: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    with np.errstate(divide="ignore"):
        result: np.ndarray[Any, Any] = -np.log10(1 - percentile / 100)
    return result


_TICKS: tuple[tuple[float, str], ...] = (
    (50.0, "50"),
    (90.0, "90"),
    (99.0, "99"),
    (99.9, "99.9"),
    (99.99, "99.99"),
    (99.999, "99.999"),
    (99.9999, "99.9999"),
)


def percentile_plot(workload: WorkloadReport, colors: Mapping[str, str]) -> Plot:
    kind = workload.primary
    operations = list(workload.operations)
    rows_count, _ = grid(len(operations))
    height = 0.6 + 2.6 * rows_count
    fig = Figure(figsize=(WIDTH_IN, height), layout="constrained")
    axes = panels(fig, len(operations))
    widest = 0.0
    for ax, operation in zip(axes, operations, strict=True):
        for engine in workload.engines:
            dist = kind.distributions.get((engine, operation))
            if dist is None or dist.count == 0:
                continue
            # Past log10(count) nines every percentile is the maximum.
            end = min(MAX_NINES, max(math.log10(dist.count), 0.5))
            nines = np.linspace(0.0, end, 200)
            percentiles = 100 * (1 - 10.0 ** (-nines))
            values = dist.percentiles_us(percentiles)
            ax.plot(nines, values, color=colors[engine], linewidth=1.3, drawstyle="steps-post")
            widest = max(widest, end)
        ax.set_title(operation_title(operation))
        log_latency_axis(ax)
    ticks = [(p, label) for p, label in _TICKS if _nines(np.array(p)) <= widest + 1e-9]
    for ax in axes:
        ax.set_xlim(0, max(widest, 0.5))
        ax.xaxis.set_major_locator(FixedLocator([float(_nines(np.array(p))) for p, _ in ticks]))
        ax.xaxis.set_major_formatter(FuncFormatter(_tick_label(ticks)))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.tick_params(axis="x", labelrotation=0)
    for ax in axes[-min(3, len(axes)) :]:
        ax.set_xlabel("percentile (%)")
    engine_legend(fig, workload.engines, colors)
    fig.get_layout_engine().set(rect=(0, 0, 1, 1 - 0.45 / height))  # type: ignore[union-attr, call-arg]
    return Plot(
        workload=workload.label,
        slug=f"{slugify(workload.label)}-percentiles",
        title=f"{workload.label}: latency by percentile ({kind.kind} time)",
        caption=(
            "Latency at each percentile, from the exact merge of every interval histogram "
            "of every repetition. The percentile axis stretches the tail: each step to the "
            "right is ten times rarer (90%, 99%, 99.9% …)."
        ),
        figure=fig,
    )


def _tick_label(ticks: Sequence[tuple[float, str]]) -> Any:
    positions = [(float(_nines(np.array(p))), label) for p, label in ticks]

    def label(value: float, _pos: object = None) -> str:
        for position, text in positions:
            if abs(position - value) < 1e-6:
                return text
        return ""

    return label


def bar_plot(workload: WorkloadReport, colors: Mapping[str, str]) -> Plot:
    kind = workload.primary
    operations = list(workload.operations)
    rows_count, _ = grid(len(operations))
    per_row = 0.5 + 0.28 * len(workload.engines)
    height = 0.3 + per_row * rows_count
    fig = Figure(figsize=(WIDTH_IN, height), layout="constrained")
    axes = panels(fig, len(operations))
    for ax, operation in zip(axes, operations, strict=True):
        engines = [e for e in workload.engines if kind.row(e, operation) is not None]
        values, lows, highs = [], [], []
        for engine in engines:
            row = kind.row(engine, operation)
            assert row is not None
            estimate = row.ops_per_s
            values.append(estimate.value)
            lows.append(estimate.value - estimate.low if estimate.has_interval else 0.0)
            highs.append(estimate.high - estimate.value if estimate.has_interval else 0.0)
        y = np.arange(len(engines))
        ax.barh(
            y,
            values,
            color=[colors[e] for e in engines],
            xerr=[lows, highs] if any(lows) or any(highs) else None,
            error_kw={"elinewidth": 0.9, "capsize": 2.5, "ecolor": "#333333"},
            height=0.7,
        )
        ax.set_yticks(y, engines)
        ax.invert_yaxis()
        ax.grid(axis="y", visible=False)
        ax.set_title(operation_title(operation))
        ax.xaxis.set_major_formatter(FuncFormatter(format_rate))
        top = max((v + h for v, h in zip(values, highs, strict=True)), default=1.0)
        ax.set_xlim(0, top * 1.3 if top > 0 else 1)
        for position, (value, high) in enumerate(zip(values, highs, strict=True)):
            if math.isfinite(value):
                # After the whisker, so the label never sits on the error bar.
                ax.text(
                    value + high, position, f"  {format_rate(value)}", va="center", fontsize=7.5
                )
    for ax in axes[-min(3, len(axes)) :]:
        ax.set_xlabel("operations per second")
    interval = "" if not _has_intervals(workload) else " Whiskers: 95% confidence interval."
    return Plot(
        workload=workload.label,
        slug=f"{slugify(workload.label)}-throughput-by-operation",
        title=f"{workload.label}: throughput by operation",
        caption=(
            "Successful operations per second over the whole measured phase, the median "
            "over repetitions." + interval
        ),
        figure=fig,
    )


def _has_intervals(workload: WorkloadReport) -> bool:
    return any(row.ops_per_s.has_interval for row in workload.primary.rows)
