"""The report's plots over time: throughput, and p50/p99 latency per operation, in each
measured interval."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, NullLocator

from bakeoff.core.formats import format_rate
from bakeoff.report.plot_parts import (
    WIDTH_IN,
    Plot,
    covered_median,
    engine_legend,
    full_intervals,
    grid,
    kind_words,
    log_latency_axis,
    panels,
    repetition_words,
    slugify,
    trial_lines,
)
from bakeoff.report.views import WorkloadReport
from bakeoff.results.summary import TOTAL


def throughput_plot(workload: WorkloadReport, colors: Mapping[str, str]) -> Plot:
    frame = full_intervals(workload.throughput)
    fig = Figure(figsize=(WIDTH_IN, 3.4), layout="constrained")
    ax = fig.subplots()
    medians: list[float] = []
    for engine in workload.engines:
        rows = frame[frame["engine"] == engine]
        if rows.empty:
            continue
        _draw_trials(ax, rows, "ops_per_s", colors[engine])
        medians.append(float(np.median(rows["ops_per_s"])))
    spread = _spread(medians)
    if spread > 10:
        ax.set_yscale("log")
        ax.yaxis.set_minor_locator(NullLocator())
    else:
        ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(FuncFormatter(format_rate))
    ax.set_xlabel("seconds since the measured phase started")
    ax.set_ylabel("operations per second" + (" (log scale)" if spread > 10 else ""))
    ax.set_xlim(left=0)
    engine_legend(fig, workload.engines, colors)
    fig.get_layout_engine().set(rect=(0, 0, 1, 0.9))  # type: ignore[union-attr, call-arg]
    return Plot(
        workload=workload.label,
        slug=f"{slugify(workload.label)}-throughput",
        title=f"{workload.label}: throughput over time",
        caption=(
            "Successful operations per second in each interval, all operations together, "
            "from the start of the measured phase" + repetition_words(frame) + "."
        ),
        figure=fig,
    )


def latency_plot(workload: WorkloadReport, colors: Mapping[str, str]) -> Plot:
    frame = full_intervals(workload.latency)
    operations = [op for op in workload.operations if op != TOTAL]
    rows_count, _ = grid(len(operations))
    fig = Figure(figsize=(WIDTH_IN, 0.6 + 2.5 * rows_count), layout="constrained")
    axes = panels(fig, len(operations), sharex=True)
    for ax, operation in zip(axes, operations, strict=True):
        for engine in workload.engines:
            rows = frame[(frame["engine"] == engine) & (frame["operation"] == operation)]
            if rows.empty:
                continue
            _draw_trials(ax, rows, "p50_us", colors[engine])
            _draw_trials(ax, rows, "p99_us", colors[engine], linestyle="--")
        ax.set_title(operation)
        log_latency_axis(ax)
        ax.set_xlim(left=0)
    for ax in axes[-min(3, len(axes)) :]:
        ax.set_xlabel("seconds")
    handles = [Line2D([], [], color=colors[e], linewidth=2, label=e) for e in workload.engines]
    handles += [
        Line2D([], [], color="#444444", linewidth=1.2, label="p50"),
        Line2D([], [], color="#444444", linewidth=1.0, linestyle="--", label="p99"),
    ]
    fig.legend(
        handles=handles,
        loc="upper center",
        ncols=min(len(handles), 9),
        frameon=False,
        bbox_to_anchor=(0.5, 1.0),
    )
    top = 1 - 0.5 / (0.6 + 2.5 * rows_count)
    fig.get_layout_engine().set(rect=(0, 0, 1, top))  # type: ignore[union-attr, call-arg]
    return Plot(
        workload=workload.label,
        slug=f"{slugify(workload.label)}-latency",
        title=f"{workload.label}: latency over time ({kind_words(workload)})",
        caption=(
            "p50 (solid) and p99 (dashed) latency of each interval, per operation, on a "
            "log scale" + repetition_words(frame) + "."
        ),
        figure=fig,
    )


def _draw_trials(
    ax: Axes, rows: pd.DataFrame, value: str, color: str, linestyle: str = "-"
) -> None:
    """Each trial faint, and the median of the trials bold where every trial covers the
    time; one trial alone is drawn bold."""
    lines = trial_lines(rows, value)
    if len(lines) == 1:
        x, y = lines[0]
        ax.plot(x, y, color=color, linewidth=1.4, linestyle=linestyle)
        return
    for x, y in lines:
        ax.plot(x, y, color=color, linewidth=0.8, alpha=0.35, linestyle=linestyle)
    if lines:
        x, y = covered_median(rows, value)
        if len(x) >= 2:
            ax.plot(x, y, color=color, linewidth=1.6, linestyle=linestyle)


def _spread(values: Sequence[float]) -> float:
    positive = [v for v in values if v > 0 and math.isfinite(v)]
    if len(positive) < 2:
        return 1.0
    return max(positive) / min(positive)
