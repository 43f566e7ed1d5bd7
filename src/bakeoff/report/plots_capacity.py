"""The capacity section's plots: latency against achieved rate per engine (the SLO drawn,
the knee marked), and throughput against connections with each series' USL fit."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from bakeoff.core.formats import format_duration_us, format_rate
from bakeoff.report.plot_parts import WIDTH_IN, Plot, grid, log_latency_axis, panels
from bakeoff.report.views import CapacityReport

CAPACITY_PLOTS = "(capacity)"
"""The `workload` of the capacity section's plots: no workload is named so."""


def capacity_plots(capacity: CapacityReport, colors: Mapping[str, str]) -> list[Plot]:
    plots = []
    curves = latency_points(capacity)
    if curves:
        plots.append(latency_rate_plot(capacity, curves, colors))
    if any(fit.fitted for fit in capacity.fits.values()):
        plots.append(usl_plot(capacity, colors))
    return plots


def latency_points(capacity: CapacityReport) -> dict[str, pd.DataFrame]:
    """Per engine: achieved rate, p50 and p99 (µs) and whether accepted (None outside a
    search), from its capacity steps, else from its rate-sweep trials (the median of the
    repetitions of each rate)."""
    found: dict[str, pd.DataFrame] = {}
    for search in capacity.searches:
        for engine in search.engines:
            rows = [
                (
                    s.achieved_rate,
                    s.percentiles_us.get("p50", math.nan),
                    s.percentiles_us.get("p99", math.nan),
                    s.accepted,
                )
                for s in engine.steps
            ]
            if rows:
                found[engine.engine] = pd.DataFrame(rows, columns=["rate", "p50", "p99", "ok"])
    swept = capacity.points[capacity.points["open_loop"].astype(bool)]
    for series, part in swept.groupby("series", sort=False):
        if str(series) in found:
            continue
        rate = part["achieved_rate"].where(part["achieved_rate"].notna(), part["throughput"])
        # Repetitions of one target rate: their median, so the line does not zigzag.
        medians = (
            pd.DataFrame({"target": part["rate"], "rate": rate})
            .assign(p50=part["p50_us"], p99=part["p99_us"])
            .groupby("target", dropna=False)[["rate", "p50", "p99"]]
            .median()
        )
        found[str(series)] = medians.reset_index(drop=True).assign(ok=None)
    return {k: v.sort_values("rate") for k, v in found.items()}


def latency_rate_plot(
    capacity: CapacityReport, curves: Mapping[str, pd.DataFrame], colors: Mapping[str, str]
) -> Plot:
    names = list(curves)
    rows, _ = grid(len(names))
    fig = Figure(figsize=(WIDTH_IN, 0.4 + 2.9 * rows), layout="constrained")
    for ax, name in zip(panels(fig, len(names)), names, strict=True):
        frame = curves[name]
        color = _color(capacity, name, colors)
        ax.plot(frame["rate"], frame["p99"], color=color, linewidth=1.6, marker="o", ms=3)
        ax.plot(frame["rate"], frame["p50"], color=color, linewidth=1.2, linestyle="--")
        rejected = frame[frame["ok"].eq(False)]
        ax.plot(rejected["rate"], rejected["p99"], "x", color="#333333", ms=6)
        found = capacity.search_of(name)
        if found is not None:
            search, engine = found
            for percentile, bound in search.slo_percentiles_us.items():
                ax.axhline(bound, color="#555555", linestyle=":", linewidth=1.2)
                ax.annotate(
                    f"SLO {percentile} ≤ {format_duration_us(bound)}",
                    (0.01, bound),
                    xycoords=("axes fraction", "data"),
                    fontsize=7.5,
                    va="bottom",
                )
            if engine.max_rate is not None:
                if engine.low is not None and engine.high is not None:
                    ax.axvspan(engine.low, engine.high, color=color, alpha=0.12, lw=0)
                ax.axvline(engine.max_rate, color=color, linewidth=1.2)
        ax.set_title(name)
        log_latency_axis(ax)
        ax.xaxis.set_major_formatter(FuncFormatter(format_rate))
        ax.set_xlabel("achieved rate (ops/s)")
    fig.legend(
        handles=[
            Line2D([], [], color="#333333", linewidth=1.6, marker="o", ms=3, label="p99"),
            Line2D([], [], color="#333333", linewidth=1.2, linestyle="--", label="p50"),
            Line2D([], [], color="#333333", marker="x", linestyle="", label="rejected step"),
            Line2D([], [], color="#555555", linestyle=":", label="SLO"),
            Line2D([], [], color="#333333", linewidth=1.2, label="max rate within SLO"),
        ],
        loc="outside upper center",
        ncols=5,
        frameon=False,
    )
    return Plot(
        workload=CAPACITY_PLOTS,
        slug="capacity-latency-rate",
        title="Response time against achieved rate",
        caption=(
            "p99 (solid) and p50 (dashed) of response time at each capacity-search step, "
            "or each rate-sweep trial, against the rate achieved; × marks a rejected "
            "step, the dotted line the SLO, the vertical line the highest rate accepted "
            "within it (the knee) and the shaded band its uncertainty."
        ),
        figure=fig,
    )


def usl_plot(capacity: CapacityReport, colors: Mapping[str, str]) -> Plot:
    fig = Figure(figsize=(WIDTH_IN, 4.2), layout="constrained")
    ax = fig.subplots()
    handles = []
    widest = max(max(f.connections) for f in capacity.fits.values() if f.connections)
    for series, fit in capacity.fits.items():
        color = _color(capacity, series, colors)
        ax.plot(fit.connections, fit.throughput, "o", color=color, ms=3.5, alpha=0.7)
        handles.append(Line2D([], [], color=color, marker="o", ms=3.5, label=series))
        if not fit.fitted:
            continue
        n = np.geomspace(1.0, widest * 1.5, 200).astype(np.float64)
        ax.plot(n, fit.predict(n), color=color, linewidth=1.5)
        band = fit.band(n)
        if band is not None:
            ax.fill_between(n, band[0], band[1], color=color, alpha=0.15, lw=0)
        peak_n, peak_x = fit.peak_connections, fit.peak_throughput
        if peak_n is not None and peak_x is not None and peak_n <= n[-1]:
            ax.plot([peak_n], [peak_x], "D", color=color, ms=6)
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    ax.yaxis.set_major_formatter(FuncFormatter(format_rate))
    ax.set_xlabel("connections")
    ax.set_ylabel("throughput (ops/s)")
    ax.set_ylim(bottom=0)
    fig.legend(handles=handles, loc="outside upper center", ncols=min(len(handles), 6))
    levels = sorted({f"{fit.level:.0%}" for fit in capacity.fits.values() if fit.fitted})
    return Plot(
        workload=CAPACITY_PLOTS,
        slug="capacity-usl",
        title="Throughput against connections, with the USL fit",
        caption=(
            "Each dot is a closed-loop trial; the line is the Universal Scalability Law "
            f"fitted to them, the band its {', '.join(levels)} interval, the diamond the "
            "predicted peak N* (when it lies in the plotted range)."
        ),
        figure=fig,
    )


def _color(capacity: CapacityReport, series: str, colors: Mapping[str, str]) -> str:
    engine = capacity.series_engines.get(series, series.split(" ", maxsplit=1)[0])
    return colors.get(engine, colors.get(series, "#333333"))


def capacity_engines(capacity: CapacityReport) -> Sequence[str]:
    """Every engine the section draws, for its colours."""
    engines = dict.fromkeys(capacity.series_engines.values())
    engines.update(dict.fromkeys(e.engine for s in capacity.searches for e in s.engines))
    engines.update(dict.fromkeys(capacity.points["engine"].astype(str)))
    return list(engines)
