"""What every plot of a report shares: the `Plot` record, the figure width and the
axes helpers (panels per operation, engine legend, latency axis, interval selection)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, NullLocator

from bakeoff.core.formats import format_duration_us
from bakeoff.report.views import WorkloadReport
from bakeoff.results.summary import TOTAL
from bakeoff.results.validity import FULL_INTERVAL

WIDTH_IN = 10.0
"""Figure width: 1000 px at the PNG resolution, the width of the HTML page's text."""
PNG_DPI = 110
MAX_NINES = 6.0
"""The percentile axis ends at 99.9999 %: beyond it a run rarely holds enough samples."""


@dataclass(frozen=True)
class Plot:
    workload: str
    """The label of the workload it shows."""
    slug: str
    """File-name-safe and unique within a report: `<workload>-<what>`."""
    title: str
    caption: str
    figure: Figure


def slugify(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.") or "workload"


def log_latency_axis(ax: Axes) -> None:
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(format_duration_us))
    # Minor ticks of a log axis are most of a figure's drawing time and carry no label.
    ax.yaxis.set_minor_locator(NullLocator())


def grid(count: int, columns: int = 3) -> tuple[int, int]:
    cols = max(1, min(columns, count))
    return math.ceil(count / cols), cols


def panels(fig: Figure, count: int, *, sharex: bool = False) -> list[Axes]:
    rows, cols = grid(count)
    axes = fig.subplots(rows, cols, squeeze=False, sharex=sharex)
    flat = [ax for row in axes for ax in row]
    for ax in flat[count:]:
        ax.set_visible(False)
    return flat[:count]


def engine_legend(fig: Figure, engines: Sequence[str], colors: Mapping[str, str]) -> None:
    handles = [Line2D([], [], color=colors[e], linewidth=2, label=e) for e in engines]
    fig.legend(
        handles=handles,
        loc="upper center",
        ncols=min(len(handles), 7),
        frameon=False,
        bbox_to_anchor=(0.5, 1.0),
    )


def operation_title(operation: str) -> str:
    return "all operations" if operation == TOTAL else operation


FloatArray = npt.NDArray[np.float64]

TRIAL_KEYS = ["engine", "run_id", "trial"]
"""What identifies one trial's line in a plot over time."""


def full_intervals(frame: pd.DataFrame) -> pd.DataFrame:
    # The last interval of a phase is usually a sliver: its rate and percentiles rest on
    # a handful of calls and would read as a collapse at the end of every run.
    if frame.empty:
        return frame
    typical = frame.groupby(TRIAL_KEYS)["duration_s"].transform("max")
    return frame[frame["duration_s"] >= FULL_INTERVAL * typical]


def trial_lines(rows: pd.DataFrame, value: str) -> list[tuple[FloatArray, FloatArray]]:
    """Per trial of `rows` (one engine's), x (interval middles, seconds since the measured
    phase started) and y; trials with a single interval are left out: a lone dot is no
    line."""
    lines: list[tuple[FloatArray, FloatArray]] = []
    for _, unsorted in rows.groupby(TRIAL_KEYS[1:], sort=True):
        trial = unsorted.sort_values("start_s")
        if len(trial) >= 2:
            x = (trial["start_s"] + trial["duration_s"] / 2).to_numpy(dtype=np.float64)
            lines.append((x, trial[value].to_numpy(dtype=np.float64)))
    return lines


def covered_median(rows: pd.DataFrame, value: str) -> tuple[FloatArray, FloatArray]:
    """The median over trials at each interval start that every trial reached: where a
    trial has ended, a median of the rest would jump and mean nothing."""
    trials = rows.groupby(TRIAL_KEYS[1:]).ngroups
    at = rows.groupby("start_s").agg(
        y=(value, "median"), n=(value, "size"), width=("duration_s", "median")
    )
    at = at[at["n"] == trials].sort_index()
    return (at.index.to_numpy(dtype=float) + at["width"].to_numpy(dtype=float) / 2), at[
        "y"
    ].to_numpy(dtype=float)


def kind_words(workload: WorkloadReport) -> str:
    return f"{workload.primary.kind} time"


def repetition_words(frame: pd.DataFrame) -> str:
    """The caption's words on trials: how they are drawn, and which are left out."""
    if frame.empty:
        return ""
    per_trial = frame.groupby(TRIAL_KEYS).size()
    most = int(per_trial.groupby(level="engine").size().max())
    words = ""
    if most > 1:
        words += (
            f". Each trial is a faint line (up to {most} per engine); the bold line is their "
            "median, drawn only as far as every trial reached"
        )
    lone = sorted({str(e) for e, _, _ in per_trial[per_trial < 2].index})
    if lone:
        words += (
            f". Not drawn: trials of {', '.join(lone)} that measured a single interval (a "
            "lone dot is no line)"
        )
    return words
