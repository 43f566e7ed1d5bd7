"""The capacity section's words and tables, laid out alike by both renderers (HTML and
Markdown): the per-engine table, the notes on how it was made, the fits' warnings and
each search's step history."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bakeoff.core.formats import MISSING, format_number, format_percent, format_range
from bakeoff.report.section_parts import Table
from bakeoff.report.views import CapacityReport, EngineCapacity, ReportData
from bakeoff.results.usl import BOOTSTRAP, NO_INTERVALS, UslFit

SECTION_SLUG = "capacity"
SECTION_HEADING = "Capacity"

CAPACITY_COLUMNS = (
    "engine",
    "max rate within SLO",
    "at connections",
    "σ",
    "κ",
    "N*",
    "predicted peak",
    "R²",
    "CPU-s per 1k ops",
    "memory",
)
STEP_COLUMNS = ("step", "trial", "target", "achieved", "p50", "p99", "errors", "verdict")


@dataclass(frozen=True)
class CapacitySection:
    """What both renderers lay out under "Capacity"; the plots come with the others."""

    table: Table
    notes: tuple[str, ...]
    warnings: tuple[str, ...]
    steps: tuple[Table, ...]
    """Each search's step history per engine."""


def capacity_section(report: ReportData) -> CapacitySection | None:
    """The section, or None when the runs neither searched nor swept."""
    capacity = report.capacity
    if capacity is None:
        return None
    return CapacitySection(
        table=capacity_table(capacity, report.engine_names),
        notes=capacity_notes(capacity),
        warnings=capacity_warnings(capacity),
        steps=tuple(step_table(e) for s in capacity.searches for e in s.engines if e.steps),
    )


def capacity_series(capacity: CapacityReport, engine_order: Sequence[str]) -> list[str]:
    """The table's rows: each fitted series and each searched engine, engines in report
    order and an engine's series together."""
    names = dict.fromkeys(capacity.fits)
    names.update(dict.fromkeys(e.engine for s in capacity.searches for e in s.engines))
    names.update(dict.fromkeys(capacity.points["series"].astype(str)))
    order = {engine: i for i, engine in enumerate(engine_order)}

    def key(series: str) -> tuple[int, str]:
        engine = capacity.series_engines.get(series, series.split(" ", maxsplit=1)[0])
        return (order.get(engine, len(order)), series)

    return sorted(names, key=key)


def capacity_table(capacity: CapacityReport, engine_order: Sequence[str]) -> Table:
    rows = []
    for series in capacity_series(capacity, engine_order):
        found = capacity.search_of(series)
        fit = capacity.fits.get(series)
        mine = capacity.points[capacity.points["series"] == series]
        rows.append(
            (
                series,
                _max_rate(found[1]) if found else MISSING,
                _connections(found[1] if found else None, mine),
                *(_fit_cells(fit) if fit is not None and fit.fitted else (MISSING,) * 5),
                _cpu(mine["engine_cpu_per_1k_ops"]),
                _memory(mine["engine_memory_bytes"]),
            )
        )
    return Table(CAPACITY_COLUMNS, tuple(rows))


def capacity_notes(capacity: CapacityReport) -> tuple[str, ...]:
    notes = []
    alike: dict[tuple[str, str, float | None], list[str]] = {}
    for search in capacity.searches:
        alike.setdefault((search.slo, search.method, search.budget_s), []).append(search.run_id)
    for (slo, method, budget_s), run_ids in alike.items():
        budget = f", within a budget of {budget_s:g} s" if budget_s else ""
        runs = f"run{'s' if len(run_ids) > 1 else ''} {', '.join(run_ids)}"
        notes.append(
            f"Max rate within SLO ({runs}): the highest open-loop target rate accepted "
            f"under the SLO {slo} (latencies of response time, from each operation's "
            f"intended start){budget}. {method} In parentheses: the uncertainty of that "
            "maximum."
        )
    if capacity.fits:
        methods: dict[str, list[str]] = {}
        for fit in capacity.fits.values():
            if fit.fitted:
                methods.setdefault(_method(fit), []).append(fit.series)
        intervals = "; ".join(f"{m} for {', '.join(names)}" for m, names in methods.items())
        notes.append(
            "σ, κ, N* and the predicted peak: Gunther's Universal Scalability Law, "
            "X(N) = λN / (1 + σ(N−1) + κN(N−1)), fitted by least squares to the throughput "
            "of each closed-loop trial against its connections; σ is contention (the "
            "serialised share), κ crosstalk (the cost of keeping connections coherent), "
            "N* = √((1−σ)/κ) the concurrency of peak throughput. In parentheses: "
            f"{intervals or 'no intervals'}."
        )
    notes.append(
        "CPU-s per 1k ops: the engine container's CPU-seconds over the measured phase per "
        "1,000 operations it completed, the median over the engine's swept and searched "
        "trials; memory: the largest the container used at the end of a measured phase "
        "(– for an embedded engine, or where it was not recorded)."
    )
    return tuple(notes)


def capacity_warnings(capacity: CapacityReport) -> tuple[str, ...]:
    """Each fit's warnings, and searches that ran out of budget, as "series: warning"."""
    found = [f"{series}: {w}" for series, fit in capacity.fits.items() for w in fit.warnings]
    for search in capacity.searches:
        found += [
            f"{e.engine}: the search ran out of budget before the maximum converged"
            for e in search.engines
            if not e.converged
        ]
    return tuple(found)


def step_table(found: EngineCapacity, slo_percentiles: Sequence[str] = ("p50", "p99")) -> Table:
    """One engine's steps, with why each rejected step was rejected."""
    rows = []
    for step in found.steps:
        verdict = "accepted" if step.accepted else "rejected: " + "; ".join(step.reasons)
        rows.append(
            (
                str(step.step),
                MISSING if step.trial is None else str(step.trial),
                format_number(step.target_rate),
                format_number(step.achieved_rate),
                *(_us(step.percentiles_us.get(p)) for p in slo_percentiles),
                format_percent(step.error_rate),
                verdict,
            )
        )
    title = f"{found.engine}: {len(found.steps)} steps"
    return Table(STEP_COLUMNS, tuple(rows), title=title)


def _max_rate(found: EngineCapacity) -> str:
    if found.max_rate is None:
        return "none accepted"
    text = format_number(found.max_rate)
    if found.low is not None and found.high is not None:
        text += f" ({format_range(found.low, found.high)})"
    return text if found.converged else text + " (not converged)"


def _connections(found: EngineCapacity | None, mine: pd.DataFrame) -> str:
    if found is not None and found.connections is not None:
        return str(found.connections)
    swept = sorted({int(n) for n in mine["connections"].dropna()})
    if not swept:
        return MISSING
    return f"{swept[0]}–{swept[-1]} (swept)" if len(swept) > 1 else str(swept[0])


def _fit_cells(fit: UslFit) -> tuple[str, str, str, str, str]:
    def with_interval(value: float | None, name: str, digits: str) -> str:
        if value is None:
            return "no peak"
        text = format(value, digits)
        low, high = fit.intervals.get(name, (math.nan, math.nan))
        if math.isfinite(low) and math.isfinite(high):
            text += f" ({format(low, digits)}–{format(high, digits)})"
        elif math.isfinite(low):
            text += f" ({format(low, digits)}–∞)"
        return text

    peak = fit.peak_throughput
    return (
        with_interval(fit.sigma, "sigma", ".3g"),
        with_interval(fit.kappa, "kappa", ".3g"),
        with_interval(fit.peak_connections, "peak_connections", ".3g"),
        "no peak" if peak is None else with_interval(peak, "peak_throughput", ",.0f") + " ops/s",
        format_number(fit.r_squared),
    )


def _method(fit: UslFit) -> str:
    level = f"the {fit.level:.0%} interval"
    if fit.interval_method == BOOTSTRAP:
        return f"{level}, {fit.interval_note}"
    if fit.interval_method == NO_INTERVALS:
        return f"no interval: {fit.interval_note}"
    return f"{level} {fit.interval_note}"


def _cpu(values: pd.Series) -> str:
    finite = [float(v) for v in values if math.isfinite(float(v))]
    return format_number(float(np.median(finite))) if finite else MISSING


def _memory(values: pd.Series) -> str:
    finite = [float(v) for v in values if math.isfinite(float(v)) and float(v) > 0]
    return f"{max(finite) / 2**20:,.0f} MiB" if finite else MISSING


def _us(value: float | None) -> str:
    return MISSING if value is None else f"{format_number(value)} µs"
