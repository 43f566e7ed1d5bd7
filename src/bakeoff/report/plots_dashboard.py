"""The dashboard: per engine, its telemetry on the time axis of its throughput and latency
(seconds since the measured phase started, the same intervals), one panel per quantity."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from bakeoff.core.formats import format_duration_us
from bakeoff.report import dashboard
from bakeoff.report.plot_parts import (
    WIDTH_IN,
    Plot,
    full_intervals,
    grid,
    panels,
    slugify,
    trial_lines,
)
from bakeoff.report.views import WorkloadReport

MIB = 1024**2
_STYLES = ("-", "--", ":")


@dataclass(frozen=True)
class Panel:
    title: str
    frame: pd.DataFrame
    """engine, run_id, trial, start_s, duration_s, metric, level."""
    lines: tuple[tuple[str, str], ...]
    """(metric, legend label) drawn in this panel."""
    scale: float = 1.0
    latency: bool = False


def _client_frame(workload: WorkloadReport, engine: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    throughput = full_intervals(workload.throughput)
    throughput = throughput[throughput["engine"] == engine].assign(
        metric="ops", level=lambda f: f["ops_per_s"]
    )
    latency = full_intervals(workload.latency)
    latency = latency[latency["engine"] == engine]
    p99 = latency.assign(metric=lambda f: f["operation"], level=lambda f: f["p99_us"])
    return throughput, p99


def engine_panels(workload: WorkloadReport, engine: str) -> list[Panel]:
    """The panels of one engine, those with nothing to show left out."""
    telemetry = workload.telemetry
    mine = dashboard.series(telemetry[telemetry["engine"] == engine])
    mine = full_intervals(mine)
    throughput, p99 = _client_frame(workload, engine)
    operations = tuple((op, op) for op in sorted(set(p99["metric"])))
    found = [
        Panel("throughput (ops/s)", throughput, (("ops", "all operations"),)),
        Panel("p99 latency", p99, operations, latency=True),
        Panel(
            "CPU (cores)", mine, tuple(zip(dashboard.CPU_METRICS, ("user", "system"), strict=True))
        ),
        Panel(
            "memory (MiB)",
            mine,
            tuple(zip(dashboard.MEMORY_METRICS, ("anon", "file cache"), strict=True)),
            scale=1 / MIB,
        ),
        Panel(
            "disk (MiB/s)",
            mine,
            tuple(zip(dashboard.IO_METRICS, ("read", "written"), strict=True)),
            scale=1 / MIB,
        ),
        Panel(
            "network (MiB/s)",
            mine,
            tuple(zip(dashboard.NETWORK_METRICS, ("in", "out"), strict=True)),
            scale=1 / MIB,
        ),
    ]
    ratios = dashboard.hit_ratios(telemetry[telemetry["engine"] == engine])
    if not ratios.empty:
        names = tuple((m, m.split(".", 1)[-1]) for m in sorted(set(ratios["metric"])))
        found.append(Panel("cache hit ratio", full_intervals(ratios), names))
    for metric in dashboard.engine_metrics(mine):
        rows = mine[mine["metric"] == metric]
        if not rows["value"].astype(bool).any():
            continue  # a flat zero says nothing a reader needs a panel for (quiet_metrics)
        per_s = "/s" if (rows["kind"] == "counter").any() else ""
        unit = f"{rows['unit'].iloc[0]}{per_s}"
        found.append(Panel(f"{metric} ({unit})", rows, ((metric, ""),)))
    return [p for p in found if p.frame["metric"].isin([m for m, _ in p.lines]).any()]


def _draw(ax: Axes, panel: Panel, color: str) -> None:
    for i, (metric, label) in enumerate(panel.lines):
        rows = panel.frame[panel.frame["metric"] == metric]
        style = _STYLES[i % len(_STYLES)]
        for n, (x, y) in enumerate(trial_lines(rows, "level")):
            ax.plot(
                x, y * panel.scale, color=color, linestyle=style, linewidth=1.2,
                label=label if n == 0 and label else None,
            )  # fmt: skip
    ax.set_title(panel.title, fontsize="small")
    if panel.latency:
        # Linear: an interval's p99 moves within a decade, where a log axis has no tick.
        ax.yaxis.set_major_formatter(FuncFormatter(format_duration_us))
    ax.set_ylim(bottom=0)
    ax.set_xlim(left=0)
    if len(panel.lines) > 1:
        ax.legend(fontsize="x-small", frameon=False)


def dashboard_plots(workload: WorkloadReport, colors: Mapping[str, str]) -> list[Plot]:
    """One figure per engine with telemetry in the workload's trials."""
    if workload.telemetry.empty:
        return []
    plots = []
    for engine in workload.engines:
        if not (workload.telemetry["engine"] == engine).any():
            continue
        chosen = engine_panels(workload, engine)
        rows, _ = grid(len(chosen))
        fig = Figure(figsize=(WIDTH_IN, 0.4 + 2.3 * rows), layout="constrained")
        axes = panels(fig, len(chosen), sharex=True)
        for ax, panel in zip(axes, chosen, strict=True):
            _draw(ax, panel, colors[engine])
        for ax in axes[-min(3, len(axes)) :]:
            ax.set_xlabel("seconds since the measured phase started", fontsize="small")
        plots.append(
            Plot(
                workload=workload.label,
                slug=f"{slugify(workload.label)}-dashboard-{slugify(engine)}",
                title=f"{workload.label} on {engine}: dashboard",
                caption=(
                    "Throughput and p99 latency beside the engine's telemetry, interval by "
                    "interval on one time axis: the container's CPU (seconds per second), "
                    "memory, disk and network, then every statistic the engine gave "
                    "(counters per second, gauges as read). A line per trial; "
                    "docs/telemetry.md says what each metric is." + _quiet_note(workload, engine)
                ),
                figure=fig,
            )
        )
    return plots


def quiet_metrics(workload: WorkloadReport, engine: str) -> list[str]:
    """The engine's statistics that stayed at zero in every interval (not drawn)."""
    telemetry = workload.telemetry
    mine = telemetry[telemetry["engine"] == engine]
    return [
        metric
        for metric in dashboard.engine_metrics(mine)
        if not mine.loc[mine["metric"] == metric, "value"].astype(bool).any()
    ]


def _quiet_note(workload: WorkloadReport, engine: str) -> str:
    quiet = quiet_metrics(workload, engine)
    if not quiet:
        return ""
    names = ", ".join(m.split(".", 1)[-1] for m in quiet)
    return f" Zero in every interval, so not drawn: {names}."
