"""The report's plots: matplotlib figures built from a ReportData, rendered to SVG (inline
in the HTML page) or PNG (files beside the Markdown).

Figures are plain `matplotlib.figure.Figure` objects, never pyplot, so rendering keeps no
global state and needs no display. Four figures per workload, whatever the number of
runs: everything is aggregated in the model first, so a plot draws at most a few hundred
points per line.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from bakeoff.report.model import ReportData, WorkloadReport
from bakeoff.results.summary import TOTAL

WIDTH_IN = 10.0
"""Figure width: 1000 px at the PNG resolution, the width of the HTML page's text."""
PNG_DPI = 110
MAX_NINES = 6.0
"""The percentile axis ends at 99.9999 %: beyond it a run rarely holds enough samples."""

_PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#7f7f7f",
    "#bcbd22",
)
_STYLE: dict[Any, Any] = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8.5,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.axisbelow": True,
    "figure.dpi": 100,
    "svg.fonttype": "none",
    "font.family": ["DejaVu Sans", "sans-serif"],
}


@dataclass(frozen=True)
class Plot:
    workload: str
    """The label of the workload it shows."""
    slug: str
    """File-name-safe and unique within a report: `<workload>-<what>`."""
    title: str
    caption: str
    figure: Figure


def engine_colors(engines: Sequence[str]) -> dict[str, str]:
    """One colour per engine, the same in every plot of a report."""
    return {engine: _PALETTE[i % len(_PALETTE)] for i, engine in enumerate(engines)}


def report_plots(report: ReportData) -> list[Plot]:
    colors = engine_colors(report.engine_names)
    plots: list[Plot] = []
    seen: set[str] = set()
    for workload in report.workloads:
        for plot in workload_plots(workload, colors):
            # Labels that differ only in punctuation slugify alike; files must not.
            slug, n = plot.slug, 1
            while slug in seen:
                n += 1
                slug = f"{plot.slug}-{n}"
            seen.add(slug)
            plots.append(replace(plot, slug=slug))
    return plots


def workload_plots(workload: WorkloadReport, colors: Mapping[str, str]) -> list[Plot]:
    with mpl.rc_context(_STYLE):
        plots = []
        if has_time_series(workload):
            plots += [_throughput_plot(workload, colors), _latency_plot(workload, colors)]
        plots += [_percentile_plot(workload, colors), _bar_plot(workload, colors)]
        for plot in plots:
            # Lay out once and freeze it: every later save (SVG, PNG) then costs one draw
            # instead of the several a constrained layout makes.
            plot.figure.draw_without_rendering()
            plot.figure.set_layout_engine("none")
    return plots


def has_time_series(workload: WorkloadReport) -> bool:
    """Whether any engine measured two or more full intervals: with fewer, a plot over
    time would be a dot or two and tell nothing."""
    frame = _full_intervals(workload.throughput)
    return bool(len(frame)) and int(frame.groupby("engine").size().max()) >= 2


TIME_SERIES_MISSING = (
    "No plots over time: every trial measured a single interval. Measure for longer "
    "(--duration) or in narrower intervals (--interval) to see throughput and latency "
    "change during a run."
)


def slugify(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.") or "workload"


def to_svg(plot: Plot) -> str:
    """The figure as an `<svg>` element to inline in HTML (no XML prolog or DOCTYPE)."""
    buffer = io.StringIO()
    # A salt per plot keeps element ids unique across the SVGs of one page (matplotlib
    # derives clip-path ids from it) and the output reproducible.
    with mpl.rc_context({**_STYLE, "svg.hashsalt": plot.slug}):
        plot.figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return _own_ids(text[text.index("<svg") :].strip(), plot.slug)


_ID_USE = re.compile(r'(\bid="|url\(#|href="#)([^")]+)')


def _own_ids(svg: str, prefix: str) -> str:
    """Every id of the SVG (and each reference to it) prefixed with the plot's slug:
    matplotlib numbers its groups `figure_1`, `axes_1` … in every SVG it writes, and an
    HTML page must not hold two elements with one id."""
    ids = set(re.findall(r'\bid="([^"]+)"', svg))

    def rename(match: re.Match[str]) -> str:
        if match.group(2) not in ids:
            return match.group(0)
        return f"{match.group(1)}{prefix}-{match.group(2)}"

    return _ID_USE.sub(rename, svg)


def to_png(plot: Plot, path: Path) -> None:
    with mpl.rc_context(_STYLE):
        plot.figure.savefig(path, format="png", dpi=PNG_DPI, metadata={"Software": None})


# -- axes helpers --------------------------------------------------------------------


def format_duration_us(value: float, _pos: object = None) -> str:
    """A latency tick label: 500 µs, 2 ms, 1.5 s."""
    if not math.isfinite(value) or value <= 0:
        return ""
    for unit, scale in (("s", 1e6), ("ms", 1e3), ("µs", 1.0)):
        if value >= scale:
            return f"{value / scale:.4g} {unit}"
    return f"{value * 1000:.4g} ns"


def format_rate(value: float, _pos: object = None) -> str:
    if not math.isfinite(value) or value < 0:
        return ""
    for suffix, scale in (("M", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:.4g}{suffix}"
    return f"{value:.4g}"


def _log_latency_axis(ax: Axes) -> None:
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(format_duration_us))
    # Minor ticks of a log axis are most of a figure's drawing time and carry no label.
    ax.yaxis.set_minor_locator(NullLocator())


def _grid(count: int, columns: int = 3) -> tuple[int, int]:
    cols = max(1, min(columns, count))
    return math.ceil(count / cols), cols


def _panels(fig: Figure, count: int, *, sharex: bool = False) -> list[Axes]:
    rows, cols = _grid(count)
    axes = fig.subplots(rows, cols, squeeze=False, sharex=sharex)
    flat = [ax for row in axes for ax in row]
    for ax in flat[count:]:
        ax.set_visible(False)
    return flat[:count]


def _engine_legend(fig: Figure, engines: Sequence[str], colors: Mapping[str, str]) -> None:
    handles = [Line2D([], [], color=colors[e], linewidth=2, label=e) for e in engines]
    fig.legend(
        handles=handles,
        loc="upper center",
        ncols=min(len(handles), 7),
        frameon=False,
        bbox_to_anchor=(0.5, 1.0),
    )


def _operation_title(operation: str) -> str:
    return "all operations" if operation == TOTAL else operation


def _full_intervals(frame: pd.DataFrame) -> pd.DataFrame:
    # The last interval of a phase is usually a sliver: its rate and percentiles rest on
    # a handful of calls and would read as a collapse at the end of every run.
    if frame.empty:
        return frame
    typical = frame.groupby("engine")["duration_s"].transform("max")
    return frame[frame["duration_s"] >= 0.5 * typical]


def _kind_words(workload: WorkloadReport) -> str:
    return f"{workload.primary.kind} time"


def _repetition_words(frame: pd.DataFrame) -> str:
    most = int(frame["trials"].max()) if not frame.empty else 1
    return "" if most <= 1 else f"; the median of {most} repetitions at each point"


# -- the four figures ----------------------------------------------------------------


def _throughput_plot(workload: WorkloadReport, colors: Mapping[str, str]) -> Plot:
    frame = _full_intervals(workload.throughput)
    fig = Figure(figsize=(WIDTH_IN, 3.4), layout="constrained")
    ax = fig.subplots()
    medians: list[float] = []
    for engine in workload.engines:
        rows = frame[frame["engine"] == engine].sort_values("start_s")
        if rows.empty:
            continue
        x = (rows["start_s"] + rows["duration_s"] / 2).to_numpy()
        y = rows["ops_per_s"].to_numpy()
        ax.plot(x, y, color=colors[engine], linewidth=1.4, marker="o" if len(x) <= 20 else "")
        medians.append(float(np.median(y)))
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
    _engine_legend(fig, workload.engines, colors)
    fig.get_layout_engine().set(rect=(0, 0, 1, 0.9))  # type: ignore[union-attr, call-arg]
    return Plot(
        workload=workload.label,
        slug=f"{slugify(workload.label)}-throughput",
        title=f"{workload.label}: throughput over time",
        caption=(
            "Successful operations per second in each interval, all operations together"
            + _repetition_words(frame)
            + "."
        ),
        figure=fig,
    )


def _latency_plot(workload: WorkloadReport, colors: Mapping[str, str]) -> Plot:
    frame = _full_intervals(workload.latency)
    operations = [op for op in workload.operations if op != TOTAL]
    rows_count, _ = _grid(len(operations))
    fig = Figure(figsize=(WIDTH_IN, 0.6 + 2.5 * rows_count), layout="constrained")
    axes = _panels(fig, len(operations), sharex=True)
    for ax, operation in zip(axes, operations, strict=True):
        for engine in workload.engines:
            rows = frame[(frame["engine"] == engine) & (frame["operation"] == operation)]
            rows = rows.sort_values("start_s")
            if rows.empty:
                continue
            x = (rows["start_s"] + rows["duration_s"] / 2).to_numpy()
            few = "o" if len(x) <= 20 else ""
            ax.plot(x, rows["p50_us"], color=colors[engine], linewidth=1.2, marker=few, ms=3)
            ax.plot(
                x, rows["p99_us"], color=colors[engine], linewidth=1.0, linestyle="--", alpha=0.8
            )
        ax.set_title(operation)
        _log_latency_axis(ax)
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
        title=f"{workload.label}: latency over time ({_kind_words(workload)})",
        caption=(
            "p50 (solid) and p99 (dashed) latency of each interval, per operation, on a "
            "log scale" + _repetition_words(frame) + "."
        ),
        figure=fig,
    )


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


def _percentile_plot(workload: WorkloadReport, colors: Mapping[str, str]) -> Plot:
    kind = workload.primary
    operations = list(workload.operations)
    rows_count, _ = _grid(len(operations))
    height = 0.6 + 2.6 * rows_count
    fig = Figure(figsize=(WIDTH_IN, height), layout="constrained")
    axes = _panels(fig, len(operations))
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
        ax.set_title(_operation_title(operation))
        _log_latency_axis(ax)
    ticks = [(p, label) for p, label in _TICKS if _nines(np.array(p)) <= widest + 1e-9]
    for ax in axes:
        ax.set_xlim(0, max(widest, 0.5))
        ax.xaxis.set_major_locator(FixedLocator([float(_nines(np.array(p))) for p, _ in ticks]))
        ax.xaxis.set_major_formatter(FuncFormatter(_tick_label(ticks)))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.tick_params(axis="x", labelrotation=0)
    for ax in axes[-min(3, len(axes)) :]:
        ax.set_xlabel("percentile (%)")
    _engine_legend(fig, workload.engines, colors)
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


def _bar_plot(workload: WorkloadReport, colors: Mapping[str, str]) -> Plot:
    kind = workload.primary
    operations = list(workload.operations)
    rows_count, _ = _grid(len(operations))
    per_row = 0.5 + 0.28 * len(workload.engines)
    height = 0.3 + per_row * rows_count
    fig = Figure(figsize=(WIDTH_IN, height), layout="constrained")
    axes = _panels(fig, len(operations))
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
        ax.set_title(_operation_title(operation))
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


def _spread(values: Sequence[float]) -> float:
    positive = [v for v in values if v > 0 and math.isfinite(v)]
    if len(positive) < 2:
        return 1.0
    return max(positive) / min(positive)
