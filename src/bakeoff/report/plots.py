"""The report's plots: matplotlib figures built from a ReportData, rendered to SVG (inline
in the HTML page) or PNG (files beside the Markdown).

Figures are plain `matplotlib.figure.Figure` objects, never pyplot, so rendering keeps no
global state and needs no display. Four figures per workload, whatever the number of
runs: everything is aggregated in the model first, so a plot draws at most a few hundred
points per line.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import matplotlib as mpl

from bakeoff.report.fault_timeline import fault_timelines
from bakeoff.report.plot_parts import PNG_DPI, TRIAL_KEYS, Plot, full_intervals
from bakeoff.report.plots_by_operation import bar_plot, percentile_plot
from bakeoff.report.plots_capacity import capacity_engines, capacity_plots
from bakeoff.report.plots_dashboard import dashboard_plots
from bakeoff.report.plots_over_time import latency_plot, throughput_plot
from bakeoff.report.views import ReportData, WorkloadReport

SHIPPED_COLORS = {
    "sqlite": "#1f77b4",
    "duckdb": "#ff7f0e",
    "postgres": "#2ca02c",
    "redis": "#d62728",
    "cassandra": "#9467bd",
    "mariadb": "#8c564b",
    "mongodb": "#e377c2",
    "memcached": "#7f7f7f",
    "ferretdb": "#bcbd22",
    "mysql": "#17becf",
}
"""The shipped engines' colours: one each, distinct, the same in every report."""
OTHER_COLORS = ("#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d")
"""Colours of other engines (plugins), chosen by a stable hash of the name."""
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


def engine_colors(engines: Sequence[str]) -> dict[str, str]:
    """One colour per engine name, the same in every report: a shipped engine's own, any
    other's from a stable hash of its name (the next free one when two names of one
    report hash alike). An engine under a data model ("postgres/jsonb") gets a shade of
    its engine's colour, chosen by a stable hash of the model's name."""
    colors = {e: SHIPPED_COLORS[e] for e in engines if e in SHIPPED_COLORS}
    for engine in sorted(e for e in engines if e not in SHIPPED_COLORS):
        name, _, model = engine.partition("/")
        if model and name in SHIPPED_COLORS:
            choices = shades(SHIPPED_COLORS[name])
            start = _stable_hash(model)
        else:
            choices, start = OTHER_COLORS, _stable_hash(engine)
        taken = set(colors.values())
        for step in range(len(choices)):
            color = choices[(start + step) % len(choices)]
            if color not in taken:
                break
        colors[engine] = color
    return {engine: colors[engine] for engine in engines}


def _stable_hash(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def shades(color: str) -> tuple[str, ...]:
    """The colour, a lighter and a darker shade of it (models of one engine)."""
    rgb = [int(color[i : i + 2], 16) for i in (1, 3, 5)]

    def mix(target: int, share: float) -> str:
        return "#" + "".join(f"{round(c + (target - c) * share):02x}" for c in rgb)

    return (color, mix(255, 0.45), mix(0, 0.35))


def report_plots(report: ReportData) -> list[Plot]:
    """Each workload's plots and its fault timelines, then the capacity section's."""
    colors = report_colors(report)
    timelines = fault_timelines(report.fault_series, report.availability, colors)
    every: list[Plot] = []
    for workload in report.workloads:
        mine = [p for p in timelines if p.workload == workload.label]
        every += [*workload_plots(workload, colors), *_frozen(mine)]
    if report.capacity is not None:
        with mpl.rc_context(_STYLE):
            every += _frozen(capacity_plots(report.capacity, colors))
    plots: list[Plot] = []
    seen: set[str] = set()
    for plot in every:
        # Labels that differ only in punctuation slugify alike; files must not.
        slug, n = plot.slug, 1
        while slug in seen:
            n += 1
            slug = f"{plot.slug}-{n}"
        seen.add(slug)
        plots.append(replace(plot, slug=slug))
    return plots


def report_colors(report: ReportData) -> dict[str, str]:
    """`engine_colors` of the report's engines and any only its capacity section names."""
    more = [] if report.capacity is None else capacity_engines(report.capacity)
    return engine_colors(list(dict.fromkeys([*report.engine_names, *more])))


def workload_plots(workload: WorkloadReport, colors: Mapping[str, str]) -> list[Plot]:
    with mpl.rc_context(_STYLE):
        plots = []
        if has_time_series(workload):
            plots += [throughput_plot(workload, colors), latency_plot(workload, colors)]
        plots += [percentile_plot(workload, colors), bar_plot(workload, colors)]
        plots += dashboard_plots(workload, colors)
        return _frozen(plots)


def _frozen(plots: list[Plot]) -> list[Plot]:
    for plot in plots:
        # Lay out once and freeze it: every later save (SVG, PNG) then costs one draw
        # instead of the several a constrained layout makes.
        plot.figure.draw_without_rendering()
        plot.figure.set_layout_engine("none")
    return plots


def has_time_series(workload: WorkloadReport) -> bool:
    """Whether any trial measured two or more full intervals: with fewer, a plot over
    time would be a lone dot and tell nothing."""
    frame = full_intervals(workload.throughput)
    return bool(len(frame)) and int(frame.groupby(TRIAL_KEYS).size().max()) >= 2


TIME_SERIES_MISSING = (
    "No plots over time: every trial measured a single interval. Measure for longer "
    "(--duration) or in narrower intervals (--interval) to see throughput and latency "
    "change during a run."
)


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
