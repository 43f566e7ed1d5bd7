"""What a report shows, as plain values: the renderers (HTML, Markdown, plots, exports)
see only these, built by `bakeoff.report.build` from the result store.

Numbers follow `summarize()`: one value per trial; across repetitions every figure is
defined once, in `bakeoff.results.figures`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from bakeoff.core.formats import format_range
from bakeoff.core.histogram import Histogram, bucket_values, counts_view, percentiles_us
from bakeoff.results.query_plans import TrialPlans
from bakeoff.results.summary import SUMMARY_COLUMNS
from bakeoff.results.usl import UslFit

KIND_ORDER = ("response", "service")
"""Response time first: when an open loop measured it, it is what clients experienced."""

OPERATION_ORDER = ("read", "update", "insert", "scan", "read_modify_write", "delete")
"""YCSB's order; any other operation follows alphabetically, TOTAL comes last."""

TRIAL_COLUMNS = (*SUMMARY_COLUMNS, "latency_kind")
"""Columns of `ReportData.trials`: `summarize()`'s, plus which latency kind a row is."""


@dataclass(frozen=True)
class SummaryRow:
    """One engine × operation of one workload and latency kind: a row of
    `bakeoff.results.figures.figures()`, whose docstring defines every field."""

    workload: str
    workload_hash: str
    latency_kind: str
    operation: str
    engine: str
    trials: int
    ops_per_s: float
    ops_low: float
    ops_high: float
    ops_spread: str
    ops_cv: float
    share: float
    p50_us: float
    p90_us: float
    p99_us: float
    p999_us: float
    max_us: float
    mean_us: float
    count: int
    errors: int
    not_found: int
    measured_s: float
    intervals: int
    too_short: int
    unstable_trials: int
    unstable: bool
    extreme_max: bool
    decided: bool | None
    flips_with: str

    @classmethod
    def from_record(cls, record: Mapping[Any, Any]) -> SummaryRow:
        values = {f.name: record[f.name] for f in fields(cls)}
        decided = values["decided"]
        # pandas writes a missing verdict as None or NaN, depending on the column's mix.
        values["decided"] = None if decided is None or pd.isna(decided) else bool(decided)
        return cls(**values)

    @property
    def has_spread(self) -> bool:
        return self.trials > 1 and math.isfinite(self.ops_low) and math.isfinite(self.ops_high)

    def spread_text(self) -> str:
        """`low–high` of the ops/s, or "" with one trial."""
        return format_range(self.ops_low, self.ops_high) if self.has_spread else ""

    def flags(self, *, short: bool = False) -> tuple[str, ...]:
        """What is wrong with this row's numbers, worst first; `short` for a terminal."""
        out = []
        if self.too_short:
            out.append("short" if short else "too short")
        if self.unstable:
            cv = f"CV {self.ops_cv:.1%}"
            out.append(cv if short else f"unstable ({cv})")
        if self.unstable_trials:
            out.append("noisy" if short else "unstable trials")
        if self.flips_with:
            out.append("flips" if short else f"flips with {self.flips_with}")
        if self.extreme_max:
            out.append("stall" if short else "extreme max")
        return tuple(out)


class LatencyDistribution:
    """The exact merge of every measured interval of one workload × latency kind ×
    engine × operation, over all its repetitions."""

    def __init__(self, histogram: Histogram) -> None:
        self.histogram = histogram
        counts = counts_view(histogram)
        self._index = np.flatnonzero(counts)
        self._counts = counts[self._index].astype(np.int64)
        self._cumulative = np.cumsum(self._counts)
        self.count = int(histogram.total_count)

    def percentiles_us(self, percentiles: Sequence[float] | npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Latency at each percentile, as hdrh's get_value_at_percentile answers it."""
        wanted = np.minimum(np.asarray(percentiles, dtype=np.float64), 100.0)
        if self.count == 0:
            return np.full(wanted.shape, math.nan)
        # hdrh: the first bucket whose cumulative count reaches int(p × total / 100 + 0.5).
        targets = np.maximum((wanted * self.count / 100 + 0.5).astype(np.int64), 1)
        at = np.searchsorted(self._cumulative, targets, side="left")
        at = self._index[np.minimum(at, len(self._index) - 1)]
        # hdrh answers the 0th percentile with the bucket's lowest value, others with its
        # highest.
        values: npt.NDArray[Any] = (
            np.where(wanted == 0, bucket_values().lowest[at], bucket_values().highest[at]) / 1000.0
        )
        return values

    def summary_us(self) -> dict[str, float]:
        """mean, p50 … p99.9 and max in µs, identical to `summarize()`'s."""
        return percentiles_us(self.histogram)

    def min_us(self) -> float:
        if self.count == 0:
            return math.nan
        return float(bucket_values().lowest[self._index[0]]) / 1000.0

    def stddev_us(self) -> float:
        """Standard deviation as hdrh computes it (each bucket at its median value)."""
        if self.count == 0:
            return math.nan
        mean = self.summary_us()["mean_us"]
        medians = bucket_values().median[self._index] / 1000.0
        variance = float(np.dot(self._counts, (medians - mean) ** 2)) / self.count
        return math.sqrt(variance)

    def count_outside(self, low_us: float, high_us: float) -> int:
        """Operations whose latency (bucket value as percentiles report it) lies outside."""
        values = bucket_values().highest[self._index] / 1000.0
        return int(self._counts[(values < low_us) | (values > high_us)].sum())

    def lowest_at_or_above_us(self, bound_us: float) -> float:
        values = bucket_values().highest[self._index] / 1000.0
        inside = values[values >= bound_us]
        return float(inside[0]) if len(inside) else math.nan

    def highest_at_or_below_us(self, bound_us: float) -> float:
        values = bucket_values().highest[self._index] / 1000.0
        inside = values[values <= bound_us]
        return float(inside[-1]) if len(inside) else math.nan


@dataclass(frozen=True)
class KindReport:
    """One latency kind (service or response time) of one workload."""

    kind: str
    description: str
    rows: tuple[SummaryRow, ...]
    distributions: Mapping[tuple[str, str], LatencyDistribution]
    """(engine, operation) → merged histogram; operation TOTAL merges all operations."""

    def row(self, engine: str, operation: str) -> SummaryRow | None:
        for row in self.rows:
            if row.engine == engine and row.operation == operation:
                return row
        return None


@dataclass(frozen=True)
class WorkloadReport:
    label: str
    """The name, or name@hash when runs used several specs under one name."""
    name: str
    hash: str
    spec: Mapping[str, object]
    engines: tuple[str, ...]
    operations: tuple[str, ...]
    """Measured operations in YCSB order, then TOTAL."""
    kinds: tuple[KindReport, ...]
    """Response time first when measured; `kinds[0]` is what the plots show."""
    throughput: pd.DataFrame
    """engine, run_id, trial, start_s, duration_s, ops_per_s: per trial and interval, all
    operations together, from the start of the measured phase."""
    latency: pd.DataFrame
    """engine, run_id, trial, operation, start_s, duration_s, p50_us, p99_us: the stored
    per-interval percentiles of each trial. Of `kinds[0]`."""
    telemetry: pd.DataFrame = field(default_factory=pd.DataFrame)
    """The measured phases' telemetry of its trials (results/telemetry_store.py columns,
    `engine` as the report names it, `run_id`); empty when none was recorded."""

    @property
    def primary(self) -> KindReport:
        return self.kinds[0]


@dataclass(frozen=True)
class EngineSetup:
    """How an engine ran, over all its trials; several values mean trials differed."""

    engine: str
    versions: tuple[str, ...]
    adapters: tuple[str, ...]
    connections: tuple[str, ...]
    settings: Mapping[str, tuple[str, ...]]
    provenance: Mapping[str, tuple[str, ...]]
    trials_ok: int
    trials_total: int
    settled: tuple[str, ...] = ()
    """What ran on the table after each load (`manifests.settled_text`)."""


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    path: Path
    status: str
    started_at: str
    ended_at: str
    command: tuple[str, ...]
    options: Mapping[str, object]
    bakeoff_version: str
    git_sha: str | None
    dirty: bool | None
    host: Mapping[str, object]
    drivers: Mapping[str, str]
    trials_ok: int
    trials_total: int
    cluster_nodes: tuple[Mapping[str, object], ...] = ()
    """Runs on a Ray cluster (--cluster): per trial's measured phase, each node that ran
    workers, as the manifest records it, with "trial" added."""


@dataclass(frozen=True)
class ExcludedTrial:
    """A trial left out of every number because it did not finish ok."""

    run_id: str
    trial: int
    engine: str
    workload: str
    status: str
    error: str


@dataclass(frozen=True)
class DataModelUse:
    """How one engine laid a schema workload out, and whether its answers agreed."""

    workload: str
    engine: str
    """The engine with its model, as results name it ("postgres/jsonb")."""
    model: str
    description: str
    layout: tuple[str, ...]
    workarounds: tuple[str, ...]
    """"operation: note" for each operation run by a workaround."""
    answers: str
    """"reference", "same as <engine>", or what differed (the first differing question
    with both answers)."""


@dataclass(frozen=True)
class CapacityStep:
    """One step of a capacity search: a trial at a target rate, accepted or not."""

    step: int
    trial: int | None
    repetition: int
    target_rate: float
    achieved_rate: float
    percentiles_us: Mapping[str, float]
    """Of response time."""
    error_rate: float
    duration_s: float
    accepted: bool
    reasons: tuple[str, ...]
    """Why it was rejected ("p99 2,410 µs > SLO 2,000 µs"); empty when accepted."""


@dataclass(frozen=True)
class EngineCapacity:
    """What a capacity search found for one engine (docs/capacity.md)."""

    engine: str
    max_rate: float | None
    """The highest accepted target rate, ops/s; None when no rate was accepted."""
    low: float | None
    high: float | None
    uncertainty: str
    """How low and high were found."""
    connections: int | None
    converged: bool
    """False: the budget ran out before the search had narrowed the maximum."""
    steps: tuple[CapacityStep, ...]


@dataclass(frozen=True)
class CapacitySearch:
    """A run's capacity search: its SLO, its method and each engine's maximum."""

    run_id: str
    slo: str
    slo_percentiles_us: Mapping[str, float]
    max_error_rate: float | None
    method: str
    budget_s: float | None
    engines: tuple[EngineCapacity, ...]


@dataclass(frozen=True)
class CapacityReport:
    """The capacity section: searches, the swept trials, and a USL fit per series."""

    searches: tuple[CapacitySearch, ...]
    points: pd.DataFrame
    """`bakeoff.results.sweep_points.POINT_COLUMNS`: every ok trial with a point."""
    fits: Mapping[str, UslFit]
    """Series ("redis", "redis cpus=2") → its fit over connections, closed loop only."""
    series_engines: Mapping[str, str]
    """Series → the engine it is of (its colour)."""

    def search_of(self, engine: str) -> tuple[CapacitySearch, EngineCapacity] | None:
        """The last search that measured `engine`, and its result there."""
        for search in reversed(self.searches):
            for found in search.engines:
                if found.engine == engine:
                    return search, found
        return None


@dataclass(frozen=True)
class ReportData:
    title: str
    runs: tuple[RunInfo, ...]
    workloads: tuple[WorkloadReport, ...]
    engines: tuple[EngineSetup, ...]
    """In report order; a plot colours engines in this order too."""
    trials: pd.DataFrame
    """Per trial, operation and latency kind, as `summarize()` computes it (TRIAL_COLUMNS)."""
    figures: pd.DataFrame
    """Per workload, latency kind, operation and engine, as `figures()` computes it."""
    latency_kinds: Mapping[str, str]
    """What each latency kind measures, from the manifests."""
    excluded: tuple[ExcludedTrial, ...]
    checks: tuple[str, ...] = ()
    """What makes numbers of this report doubtful (`report.checks`), worst first."""
    caveats: tuple[str, ...] = ()
    """What differs between the engines beyond the engine itself ("read this first")."""
    data_models: tuple[DataModelUse, ...] = ()
    """Schema workloads: each engine's data model and its answers, first trial of each."""
    capacity: CapacityReport | None = None
    """Capacity searches and sweeps, None when the runs hold neither."""
    query_plans: tuple[TrialPlans, ...] = ()
    """Each engine's plans per workload, its first trial with plans (report/query_plans.py)."""
    plans_missing: tuple[tuple[str, str], ...] = ()
    """Engines measured without plans, and why ("no query plans (key-value)")."""
    availability: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Per faulted trial and fault: `summarize_availability()`'s row, with `label`."""
    fault_series: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Per faulted trial and interval: ops/s, errors/s, p99 (`fault_series()`)."""

    @property
    def engine_names(self) -> tuple[str, ...]:
        return tuple(e.engine for e in self.engines)
