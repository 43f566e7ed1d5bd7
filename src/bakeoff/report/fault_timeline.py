"""The report's timeline of each faulted trial: throughput, errors and p99 over the
measured phase, fault windows shaded; and the frames behind it and the availability table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from bakeoff.report.plot_parts import WIDTH_IN, Plot, slugify
from bakeoff.results.availability_summary import fault_series, summarize_availability
from bakeoff.results.reader import StoredRun

_SHADE = "#d62728"


def fault_frames(
    runs: Sequence[StoredRun], labels: Mapping[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(availability rows, interval series) of every faulted trial, each with the
    `label` of its workload as the report names it."""
    availability = pd.concat([summarize_availability(r) for r in runs], ignore_index=True)
    series = pd.concat([fault_series(r) for r in runs], ignore_index=True)
    if availability.empty:
        return availability, series
    availability["label"] = availability["workload_hash"].map(labels)
    keys = availability[["run_id", "trial", "label"]].drop_duplicates()
    series = series.merge(keys, on=["run_id", "trial"], how="inner")
    return availability, series


def _mark_actions(axes: Any, faults: pd.DataFrame) -> None:
    """A dashed line at each operator action (the same for every fault of the trial)."""
    if faults.empty or "operator_actions" not in faults:
        return
    actions = faults["operator_actions"].iloc[0]
    for n, action in enumerate(actions if isinstance(actions, list) else []):
        at = float(action["started_s"])
        for ax in axes:
            ax.axvline(at, color="#444444", linestyle="--", linewidth=0.9)
        axes[1].annotate(
            str(action["fault"]),
            (at, 1),
            xycoords=("data", "axes fraction"),
            xytext=(2, -9 - 8 * n),
            textcoords="offset points",
            fontsize=7,
        )


def fault_timelines(
    series: pd.DataFrame, availability: pd.DataFrame, colors: Mapping[str, str]
) -> list[Plot]:
    """One timeline per faulted trial: throughput, errors and p99 over the measured
    phase, each fault's window shaded (to its end, or to the phase end)."""
    plots = []
    for (run_id, trial), rows in series.groupby(["run_id", "trial"], sort=True):
        faults = availability[(availability["run_id"] == run_id) & (availability["trial"] == trial)]
        engine, label = str(rows["engine"].iloc[0]), str(rows["label"].iloc[0])
        fig = Figure(figsize=(WIDTH_IN, 5.4), layout="constrained")
        axes = fig.subplots(3, 1, sharex=True)
        x = rows["start_s"] + rows["duration_s"] / 2
        color = colors.get(engine, "#1f77b4")
        axes[0].plot(x, rows["ops_per_s"], color=color, linewidth=1.4)
        axes[0].set_ylabel("ops/s")
        axes[0].set_ylim(bottom=0)
        axes[1].plot(x, rows["errors_per_s"], color=_SHADE, linewidth=1.2)
        axes[1].set_ylabel("errors/s")
        axes[1].set_ylim(bottom=0)
        axes[2].plot(x, pd.to_numeric(rows["p99_us"]) / 1000, color=color, linewidth=1.2)
        axes[2].set_ylabel("p99 ms")
        axes[2].set_yscale("log")
        axes[2].set_xlabel("seconds since the measured phase started")
        end_s = float((rows["start_s"] + rows["duration_s"]).max())
        _mark_actions(axes, faults)
        for fault in faults.to_dict("records"):
            start = fault["started_s"]
            if start is None or (isinstance(start, float) and math.isnan(start)):
                continue
            stop = fault["ended_s"]
            stop = end_s if stop is None or (isinstance(stop, float) and math.isnan(stop)) else stop
            for ax in axes:
                ax.axvspan(
                    float(start), max(float(stop), float(start) + 0.05), color=_SHADE, alpha=0.15
                )
            axes[0].annotate(
                str(fault["fault"]),
                (float(start), 0),
                xytext=(2, 2),
                textcoords="offset points",
                fontsize=7,
            )
        fig.suptitle(f"{engine}, trial {trial} (run {run_id})", fontsize=9)
        plots.append(
            Plot(
                workload=label,
                slug=f"{slugify(label)}-{slugify(engine)}-faults-{trial}-{slugify(str(run_id))}",
                title=f"{label}: {engine} under faults (trial {trial})",
                caption=(
                    "Successful operations per second, errors per second and p99 latency "
                    "of the successes in each interval; the shaded spans are the faults, "
                    "from when each was applied to when it was undone; dashed lines are "
                    "operator actions (a promotion, the client repointed)."
                ),
                figure=fig,
            )
        )
    return plots
