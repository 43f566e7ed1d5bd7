"""The report's plots per operation over the whole measured phase: latency by
percentile, and throughput with its confidence interval."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch
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
from bakeoff.report.views import KindReport, WorkloadReport
from bakeoff.results.summary import TOTAL


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
    rows_count, columns = grid(len(operations))
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
        # Past 99.99 % the labels of a third-of-the-page panel run into each other.
        crowded = columns >= 3 and len(ticks) > 5
        ax.tick_params(axis="x", labelrotation=40 if crowded else 0)
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
    """Total throughput per engine, each bar cut into the operations' shares: in a mixed
    workload an operation's rate is its part of the whole, not a capacity of its own."""
    kind = workload.primary
    operations = [op for op in workload.operations if op != TOTAL]
    whole = TOTAL if TOTAL in workload.operations else operations[0]
    engines = [e for e in workload.engines if kind.row(e, whole) is not None]
    height = 0.9 + 0.38 * len(engines)
    fig = Figure(figsize=(WIDTH_IN, height), layout="constrained")
    ax = fig.subplots()
    shades = [max(0.25, 1.0 - 0.3 * i) for i in range(len(operations))]
    top = 1.0
    for position, engine in enumerate(engines):
        total = kind.row(engine, whole)
        assert total is not None
        left = 0.0
        for operation, alpha in zip(operations, shades, strict=True):
            row = kind.row(engine, operation)
            if row is None or not math.isfinite(row.ops_per_s):
                continue
            ax.barh(
                position,
                row.ops_per_s,
                left=left,
                height=0.7,
                color=colors[engine],
                alpha=alpha,
                edgecolor="white",
                linewidth=0.8,
            )
            left += row.ops_per_s
        high = total.ops_high - total.ops_per_s if total.has_spread else 0.0
        if total.has_spread:
            ax.errorbar(
                total.ops_per_s,
                position,
                xerr=[[total.ops_per_s - total.ops_low], [high]],
                ecolor="#333333",
                elinewidth=0.9,
                capsize=2.5,
            )
        if math.isfinite(total.ops_per_s):
            # After the whisker, so the label never sits on the error bar.
            ax.text(
                total.ops_per_s + high,
                position,
                f"  {format_rate(total.ops_per_s)}",
                va="center",
                fontsize=7.5,
            )
            top = max(top, total.ops_per_s + high)
    ax.set_yticks(np.arange(len(engines)), engines)
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.xaxis.set_major_formatter(FuncFormatter(format_rate))
    ax.set_xlim(0, top * 1.25)
    ax.set_xlabel("operations per second, all operations together")
    if len(operations) > 1:
        handles = [
            Patch(facecolor="#555555", alpha=alpha, edgecolor="white", label=_share_label(kind, op))
            for op, alpha in zip(operations, shades, strict=True)
        ]
        fig.legend(handles=handles, loc="outside upper center", ncols=len(handles), frameon=False)
    spread = _spread_words(workload)
    return Plot(
        workload=workload.label,
        slug=f"{slugify(workload.label)}-throughput-by-operation",
        title=f"{workload.label}: throughput, and each operation's share of it",
        caption=(
            "Successful operations per second over the whole measured phase, the median "
            "over trials; each bar is cut into the operations' shares of the mix (an "
            "operation's part of the whole, not what the engine could do of it alone)." + spread
        ),
        figure=fig,
    )


def _share_label(kind: KindReport, operation: str) -> str:
    shares = [r.share for r in kind.rows if r.operation == operation and math.isfinite(r.share)]
    return f"{operation} {np.median(shares):.0%}" if shares else operation


def _spread_words(workload: WorkloadReport) -> str:
    labels = {r.ops_spread for r in workload.primary.rows if r.has_spread}
    return f" Whiskers: {' / '.join(sorted(labels))}." if labels else ""
