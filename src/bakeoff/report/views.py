"""What a report shows, as plain values: the renderers (HTML, Markdown, plots, exports)
see only these, built by `bakeoff.report.build` from the result store.

Numbers follow `summarize()`: one value per trial; across repetitions a table shows the
median with a bootstrap confidence interval.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from bakeoff.core.formats import format_range
from bakeoff.core.histogram import Histogram, bucket_values, counts_view, percentiles_us
from bakeoff.results.summary import SUMMARY_COLUMNS

CONFIDENCE = 0.95
"""Level of the confidence intervals a report shows."""

KIND_ORDER = ("response", "service")
"""Response time first: when an open loop measured it, it is what clients experienced."""

OPERATION_ORDER = ("read", "update", "insert", "scan", "read_modify_write", "delete")
"""YCSB's order; any other operation follows alphabetically, TOTAL comes last."""

ESTIMATED = ("ops_per_s", "p50_us", "p99_us", "p999_us")
"""Per-trial metrics shown as the median over repetitions with a confidence interval."""
MEDIAN_ONLY = ("p90_us", "mean_us")
"""Per-trial metrics kept as the median over repetitions (no table shows them, and each
interval costs a bootstrap)."""

TRIAL_COLUMNS = (*SUMMARY_COLUMNS, "latency_kind")
"""Columns of `ReportData.trials`: `summarize()`'s, plus which latency kind a row is."""


@dataclass(frozen=True)
class Estimate:
    """A statistic over repetitions: the median and its bootstrap interval.

    With one repetition the interval collapses onto the value and `has_interval` is
    false: there is no spread to estimate from.
    """

    value: float
    low: float
    high: float
    n: int

    @property
    def has_interval(self) -> bool:
        return self.n > 1 and math.isfinite(self.low) and math.isfinite(self.high)

    def interval_text(self) -> str:
        """`low–high`, or "" when there is no interval."""
        return format_range(self.low, self.high) if self.has_interval else ""


@dataclass(frozen=True)
class SummaryRow:
    """One engine × operation of one workload and latency kind."""

    operation: str
    engine: str
    repetitions: int
    ops_per_s: Estimate
    p50_us: Estimate
    p90_us: Estimate
    p99_us: Estimate
    p999_us: Estimate
    mean_us: Estimate
    max_us: float
    """The largest latency of any repetition: a maximum is reported, not estimated."""
    count: int
    """Successful operations, all repetitions together (so are errors and not_found)."""
    errors: int
    not_found: int


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
    """engine, start_s, duration_s, ops_per_s (all operations; median over trials), trials."""
    latency: pd.DataFrame
    """engine, operation, start_s, duration_s, p50_us, p99_us (the stored per-interval
    percentiles; median over trials), trials. Of `kinds[0]`."""

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
class ReportData:
    title: str
    runs: tuple[RunInfo, ...]
    workloads: tuple[WorkloadReport, ...]
    engines: tuple[EngineSetup, ...]
    """In report order; a plot colours engines in this order too."""
    trials: pd.DataFrame
    """Per trial, operation and latency kind, as `summarize()` computes it (TRIAL_COLUMNS)."""
    latency_kinds: Mapping[str, str]
    """What each latency kind measures, from the manifests."""
    excluded: tuple[ExcludedTrial, ...]
    level: float = CONFIDENCE

    @property
    def engine_names(self) -> tuple[str, ...]:
        return tuple(e.engine for e in self.engines)
