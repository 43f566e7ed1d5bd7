"""Everything a report shows, read from the result store: the only reader of the store
that the renderers (HTML, Markdown, plots, exports) have.

A report is rebuilt from Parquet and manifests, never from a live run, so an old run
renders exactly as a new one. Numbers follow `summarize()`: one value per trial; across
repetitions a table shows the median with a bootstrap confidence interval.

Decoding the interval histograms is nearly all of the cost (a 100-run report holds a
quarter of a million of them), so each one is decoded once, straight into reused
counters, and merged per trial × operation and per engine × workload × operation.
"""

from __future__ import annotations

import binascii
import math
import multiprocessing
import os
import pickle
import re
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd
from hdrh.codec import decode as _decode_counts

try:
    # ISA-L inflates hdrh's small zlib payloads about 1.5x faster than zlib, and
    # inflating is a third of the time a large report takes.
    from isal.isal_zlib import decompress as _inflate
except ImportError:  # isal is a dependency; without it zlib gives the same bytes
    from zlib import decompress as _inflate

from bakeoff.core.histogram import (
    Histogram,
    counts_view,
    decode,
    encode,
    new_histogram,
    percentiles_us,
)
from bakeoff.results.statistics import bootstrap_ci
from bakeoff.results.store import (
    LATENCY_KINDS,
    MANIFEST_FILE,
    SAMPLES_FILE,
    TRIALS_DIR,
    load,
    load_manifest,
    to_safe_json,
)
from bakeoff.results.summary import SUMMARY_COLUMNS, TOTAL

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

_T = TypeVar("_T")
_R = TypeVar("_R")

_WORD = 8
"""Bytes per counter in the standard layout (and in hdrh's V2 encoding)."""
_PAYLOAD_HEADER = 40


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
            np.where(wanted == 0, _bucket_lowest()[at], _bucket_highest()[at]) / 1000.0
        )
        return values

    def summary_us(self) -> dict[str, float]:
        """mean, p50 … p99.9 and max in µs, identical to `summarize()`'s."""
        return percentiles_us(self.histogram)

    def min_us(self) -> float:
        if self.count == 0:
            return math.nan
        return float(_bucket_lowest()[self._index[0]]) / 1000.0

    def stddev_us(self) -> float:
        """Standard deviation as hdrh computes it (each bucket at its median value)."""
        if self.count == 0:
            return math.nan
        mean = self.summary_us()["mean_us"]
        medians = _bucket_median()[self._index] / 1000.0
        variance = float(np.dot(self._counts, (medians - mean) ** 2)) / self.count
        return math.sqrt(variance)

    def count_outside(self, low_us: float, high_us: float) -> int:
        """Operations whose latency (bucket value as percentiles report it) lies outside."""
        values = _bucket_highest()[self._index] / 1000.0
        return int(self._counts[(values < low_us) | (values > high_us)].sum())

    def lowest_at_or_above_us(self, bound_us: float) -> float:
        values = _bucket_highest()[self._index] / 1000.0
        inside = values[values >= bound_us]
        return float(inside[0]) if len(inside) else math.nan

    def highest_at_or_below_us(self, bound_us: float) -> float:
        values = _bucket_highest()[self._index] / 1000.0
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
    threads: tuple[str, ...]
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


class ReportError(ValueError):
    """The paths given hold nothing a report can be made from."""


# -- histogram buckets ---------------------------------------------------------------


@cache
def _bucket_layout() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Lowest equivalent value and width of every bucket of the standard histogram."""
    hist = new_histogram()
    index = np.arange(int(hist.counts_len), dtype=np.int64)
    half_magnitude = int(hist.sub_bucket_half_count_magnitude)
    half_count = int(hist.sub_bucket_half_count)
    unit_magnitude = int(hist.unit_magnitude)
    bucket = (index >> half_magnitude) - 1
    sub_bucket = (index & (half_count - 1)) + half_count
    first = bucket < 0
    sub_bucket[first] -= half_count
    bucket[first] = 0
    shift = bucket + unit_magnitude
    return np.left_shift(sub_bucket, shift), np.left_shift(np.int64(1), shift)


def _bucket_lowest() -> npt.NDArray[np.int64]:
    return _bucket_layout()[0]


@cache
def _bucket_highest() -> npt.NDArray[np.int64]:
    lowest, width = _bucket_layout()
    return lowest + width - 1


@cache
def _bucket_median() -> npt.NDArray[np.int64]:
    lowest, width = _bucket_layout()
    median: npt.NDArray[np.int64] = lowest + np.right_shift(width, 1)
    return median


# -- decoding ------------------------------------------------------------------------


_PERCENTILES = (("p50_us", 50.0), ("p90_us", 90.0), ("p99_us", 99.0), ("p999_us", 99.9))


class _Counts:
    """A histogram being merged: its counters and the range of them that was touched."""

    __slots__ = ("counts", "high", "low", "total")

    def __init__(self) -> None:
        self.counts = np.zeros(len(_bucket_lowest()), dtype=np.uint64)
        self.low = len(self.counts)
        self.high = -1
        self.total = 0

    def add_counts(self, counts: npt.NDArray[np.uint64], low: int, total: int) -> None:
        """Add counters that start at index `low`."""
        high = low + len(counts) - 1
        self.counts[low : high + 1] += counts
        self.low = min(self.low, low)
        self.high = max(self.high, high)
        self.total += total

    def add(self, other: _Counts) -> None:
        if other.total:
            self.add_counts(other.touched(), other.low, other.total)

    def touched(self) -> npt.NDArray[np.uint64]:
        return self.counts[self.low : self.high + 1]

    def summary_us(self) -> dict[str, float]:
        """`percentiles_us` of this histogram, the same numbers to the last bit, computed
        over the touched range only (hdrh's layout has 33k counters, a trial uses few)."""
        if self.total == 0:
            return dict.fromkeys(("mean_us", *(k for k, _ in _PERCENTILES), "max_us"), math.nan)
        counts = self.touched()
        nonzero = np.flatnonzero(counts)
        medians = _bucket_median()[self.low + nonzero]
        weights = counts[nonzero].astype(np.int64)
        total = self.total
        if total * int(medians.max()) < 2**62:
            mean_ns = int(np.dot(weights, medians)) / total
        else:
            mean_ns = sum(int(w) * int(m) for w, m in zip(weights, medians, strict=True)) / total
        result = {"mean_us": mean_ns / 1000.0}
        cumulative = np.cumsum(counts)
        highest = _bucket_highest()
        for key, percentile in _PERCENTILES:
            target = max(int(percentile * total / 100 + 0.5), 1)
            index = int(np.searchsorted(cumulative, target, side="left"))
            result[key] = int(highest[self.low + index]) / 1000.0
        result["max_us"] = int(highest[self.low + int(nonzero[-1])]) / 1000.0
        return result

    def histogram(self) -> Histogram:
        """An hdrh histogram holding these counts, in the state `decode` leaves one."""
        hist = new_histogram()
        if self.total:
            counts_view(hist)[self.low : self.high + 1] = self.touched()
            hist.set_internal_tacking_values(self.low, self.high, self.total)
        return hist

    def clear(self) -> None:
        if self.high >= 0:
            self.counts[self.low : self.high + 1] = 0
        self.low = len(self.counts)
        self.high = -1
        self.total = 0


class _Decoder:
    """Adds encoded histograms into `_Counts` without building an HdrHistogram for each.

    hdrh's decode allocates and initialises a 33k-counter histogram per call, which is
    most of its cost; here hdrh's C codec decodes the varint payload into one scratch
    array, whose touched range is added to the target and cleared again.
    """

    def __init__(self) -> None:
        template = new_histogram()
        raw = binascii.a2b_base64(encode(template))
        payload = zlib.decompress(raw[8:])
        self._cookie = raw[:4]
        self._payload_cookie = payload[:4]
        # Everything after the payload length: index offset, precision, value range.
        self._layout = payload[8:_PAYLOAD_HEADER]
        self._length = int(template.counts_len)
        self._scratch = np.zeros(self._length, dtype=np.uint64)
        self._address = int(self._scratch.ctypes.data)

    def add(self, target: _Counts, encoded: str) -> None:
        self.add_all(((target, encoded),))

    def add_all(self, work: Iterable[tuple[_Counts, str]]) -> None:
        """Add each encoded histogram to its target. The loop that decides how fast a
        report is: names are bound locally and nothing is allocated but the payload."""
        a2b, inflate, decode_into = binascii.a2b_base64, _inflate, _decode_counts
        cookie, payload_cookie, layout = self._cookie, self._payload_cookie, self._layout
        scratch, address, length = self._scratch, self._address, self._length
        for target, encoded in work:
            raw = a2b(encoded)
            if not raw.startswith(cookie):
                self._add_other(target, encoded)
                continue
            payload = inflate(memoryview(raw)[8:])
            if not (payload.startswith(payload_cookie) and payload.startswith(layout, 8)):
                self._add_other(target, encoded)
                continue
            found = decode_into(payload, _PAYLOAD_HEADER, address, length, _WORD)
            total = found["total"]
            if not total:
                continue
            low = found["min_nonzero_index"]
            high = found["max_nonzero_index"]
            touched = scratch[low : high + 1]
            target.counts[low : high + 1] += touched
            touched.fill(0)
            target.low = min(target.low, low)
            target.high = max(target.high, high)
            target.total += total

    def _add_other(self, target: _Counts, encoded: str) -> None:
        # Another encoding or layout: hdrh decodes it; a different layout cannot merge.
        hist = decode(encoded)
        if int(hist.counts_len) != self._length or int(hist.unit_magnitude) != 0:
            raise ValueError("cannot merge histograms with a different bucket layout")
        counts = counts_view(hist)
        nonzero = np.flatnonzero(counts)
        if len(nonzero) == 0:
            return
        low, high = int(nonzero[0]), int(nonzero[-1])
        target.add_counts(counts[low : high + 1], low, int(counts.sum()))


class _Pool:
    """Reused `_Counts`: a report merges thousands of trial × operation histograms, and
    clearing the few counters one touched is cheaper than a fresh 33k-counter array."""

    def __init__(self) -> None:
        self._free: list[_Counts] = []

    def take(self) -> _Counts:
        return self._free.pop() if self._free else _Counts()

    def give(self, counts: Iterable[_Counts]) -> None:
        for item in counts:
            item.clear()
            self._free.append(item)


# -- reading the store ---------------------------------------------------------------


def run_directories(paths: Sequence[Path | str]) -> list[Path]:
    """Each path as a run directory, or the finished runs inside a results folder."""
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such run directory or results folder")
        if (path / MANIFEST_FILE).is_file() and (
            (path / SAMPLES_FILE).is_file() or (path / TRIALS_DIR).is_dir()
        ):
            found.append(path)
            continue
        runs = (
            sorted(
                child
                for child in path.iterdir()
                if child.is_dir()
                and not child.name.startswith(".")
                and (child / SAMPLES_FILE).is_file()
                and (child / MANIFEST_FILE).is_file()
            )
            if path.is_dir()
            else []
        )
        if not runs:
            raise ReportError(
                f"{path}: neither a bakeoff run directory (manifest.json and "
                f"{SAMPLES_FILE}) nor a results folder holding any"
            )
        found.extend(runs)
    unique: dict[Path, Path] = {}
    for run in found:
        unique.setdefault(run.resolve(), run)
    return list(unique.values())


@dataclass
class _TrialInfo:
    run_id: str
    trial: int
    engine: str
    workload: str
    workload_hash: str
    status: str
    error: str
    engine_version: str
    adapter: str
    threads: str
    settings: dict[str, str]
    provenance: dict[str, str]


@dataclass
class _Run:
    path: Path
    manifest: dict[str, Any]
    run_id: str
    trials: list[_TrialInfo]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _mapping(value: object) -> dict[str, Any]:
    return {str(k): v for k, v in value.items()} if isinstance(value, Mapping) else {}


def _read_manifest(path: Path) -> _Run:
    # Already redacted when written; redacting again costs nothing and protects a
    # report made from a manifest written by an older or a hand-edited tool.
    manifest = _mapping(to_safe_json(load_manifest(path)))
    run_id = _text(manifest.get("run_id")) or path.name
    trials: list[_TrialInfo] = []
    entries = manifest.get("trials")
    for entry in entries if isinstance(entries, list) else []:
        item = _mapping(entry)
        if "trial" not in item:
            continue
        trials.append(
            _TrialInfo(
                run_id=run_id,
                trial=int(item["trial"]),
                engine=_text(item.get("engine")),
                workload=_text(item.get("workload")),
                workload_hash=_text(item.get("workload_hash")),
                status=_text(item.get("status")) or "unknown",
                error=_text(item.get("error")),
                engine_version=_text(item.get("engine_version")),
                adapter=_text(item.get("adapter")),
                threads=_text(item.get("threads")),
                settings={k: _text(v) for k, v in _mapping(item.get("settings")).items()},
                provenance={k: _text(v) for k, v in _mapping(item.get("provenance")).items()},
            )
        )
    return _Run(path=path, manifest=manifest, run_id=run_id, trials=trials)


@dataclass
class _Part:
    """What a worker process collected from its share of the runs, ready to pickle."""

    trial_rows: list[dict[str, object]]
    series: list[pd.DataFrame]
    groups: dict[tuple[str, str, str, str], tuple[int, int, npt.NDArray[np.uint64]]]
    """key → (lowest touched index, total count, counters from that index on)."""


def _collect_part(runs: Sequence[_Run]) -> _Part:
    collector = _Collector()
    for run in runs:
        collector.read(run)
    return collector.part()


class _Collector:
    """Reads runs one at a time, so memory holds one run's samples, not all of them."""

    def __init__(self) -> None:
        self.decoder = _Decoder()
        self.pool = _Pool()
        self.groups: dict[tuple[str, str, str, str], _Counts] = {}
        """(workload hash, latency kind, engine, operation) → merged counts."""
        self.trial_rows: list[dict[str, object]] = []
        self.series: list[pd.DataFrame] = []

    def read(self, run: _Run) -> None:
        ok = {t.trial for t in run.trials if t.status == "ok"}
        frame = load(run.path)
        measured = frame[(frame["phase"] == "measure") & frame["trial"].isin(ok)]
        if measured.empty:
            return
        measured = measured.reset_index(drop=True)
        self._collect_series(measured)
        ends = (measured["start_s"] + measured["duration_s"]).groupby(measured["trial"]).max()
        sums: dict[tuple[int, str, str], tuple[int, int, int]] = {
            (int(trial), str(kind), str(operation)): (int(c), int(e), int(n))
            for (trial, kind, operation), c, e, n in measured.groupby(
                ["trial", "latency_kind", "operation"], sort=False
            )[["count", "errors", "not_found"]]
            .sum()
            .itertuples(name=None)
        }
        trial_keys = measured.drop_duplicates("trial").set_index("trial")
        merged = self._merge_rows(measured)
        for (trial, kind), operations in merged.items():
            first = trial_keys.loc[trial].to_dict()
            keys = {
                "run_id": str(first["run_id"]),
                "trial": int(trial),
                "repetition": int(first["repetition"]),
                "engine": str(first["engine"]),
                "engine_version": str(first["engine_version"]),
                "workload": str(first["workload"]),
                "workload_hash": str(first["workload_hash"]),
            }
            duration = float(ends.loc[trial])
            total = self.pool.take()
            all_counted: tuple[int, ...] = (0, 0, 0)
            for operation in sorted(operations):
                counts = operations[operation]
                total.add(counts)
                counted = sums[(trial, kind, operation)]
                all_counted = tuple(a + b for a, b in zip(all_counted, counted, strict=True))
                self._trial_row(keys, kind, operation, duration, counted, counts)
                self._group(keys, kind, operation).add(counts)
            self._trial_row(keys, kind, TOTAL, duration, all_counted, total)
            self._group(keys, kind, TOTAL).add(total)
            self.pool.give([total, *operations.values()])

    def part(self) -> _Part:
        return _Part(
            trial_rows=self.trial_rows,
            series=self.series,
            groups={
                key: (c.low, c.total, c.touched().copy())
                for key, c in self.groups.items()
                if c.total
            },
        )

    def merge(self, part: _Part) -> None:
        self.trial_rows.extend(part.trial_rows)
        self.series.extend(part.series)
        for key, (low, total, counts) in part.groups.items():
            target = self.groups.get(key)
            if target is None:
                target = self.groups[key] = _Counts()
            target.add_counts(counts, low, total)

    def _merge_rows(self, measured: pd.DataFrame) -> dict[tuple[int, str], dict[str, _Counts]]:
        merged: dict[tuple[int, str], dict[str, _Counts]] = {}
        # Every (trial, kind, operation) gets a row even when no call succeeded, as in
        # summarize(); the histogram then stays empty.
        columns = ("trial", "latency_kind", "operation", "histogram")
        trials, kinds, operations, encoded = (measured[c].to_numpy() for c in columns)
        work: list[tuple[_Counts, str]] = []
        for trial, kind, operation, text in zip(trials, kinds, operations, encoded, strict=True):
            per_kind = merged.setdefault((int(trial), str(kind)), {})
            target = per_kind.get(operation)
            if target is None:
                target = per_kind[str(operation)] = self.pool.take()
            if text:
                work.append((target, text))
        self.decoder.add_all(work)
        return merged

    def _group(self, keys: Mapping[str, object], kind: str, operation: str) -> _Counts:
        key = (str(keys["workload_hash"]), kind, str(keys["engine"]), operation)
        counts = self.groups.get(key)
        if counts is None:
            counts = self.groups[key] = _Counts()
        return counts

    def _trial_row(
        self,
        keys: Mapping[str, object],
        kind: str,
        operation: str,
        duration: float,
        counted: tuple[int, ...],
        merged: _Counts,
    ) -> None:
        count, errors, not_found = counted
        self.trial_rows.append(
            {
                **keys,
                "operation": operation,
                "duration_s": duration,
                "ops_per_s": count / duration if duration > 0 else math.nan,
                "count": count,
                "errors": errors,
                "not_found": not_found,
                **merged.summary_us(),
                "latency_kind": kind,
            }
        )

    def _collect_series(self, measured: pd.DataFrame) -> None:
        columns = [
            "run_id",
            "trial",
            "engine",
            "workload_hash",
            "latency_kind",
            "operation",
            "start_s",
            "duration_s",
            "count",
            "p50_us",
            "p99_us",
        ]
        part = measured[columns].copy()
        # Intervals of trials with the same width line up on the same start offsets.
        part["start_s"] = part["start_s"].round(6)
        self.series.append(part)


# -- building the report -------------------------------------------------------------


def build_report(
    paths: Sequence[Path | str] | Path | str,
    *,
    title: str | None = None,
    workers: int | None = None,
) -> ReportData:
    """Read the given run directories (or results folders) into a `ReportData`.

    A large store is decoded by `workers` processes (default: one per usable core, at
    most four, and only when there is enough to decode to repay starting them); the
    result is the same whatever the number.
    """
    given = [paths] if isinstance(paths, str | Path) else list(paths)
    if not given:
        raise ReportError("a report needs at least one run directory or results folder")
    runs = [_read_manifest(p) for p in run_directories(given)]
    runs.sort(key=lambda r: (_text(r.manifest.get("started_at")), r.run_id))
    with _Workers(_workers(runs) if workers is None else workers) as pool:
        collector = _collect(runs, pool)
        trials = _trial_frame(collector.trial_rows)
        estimates = _estimate_all(trials, pool) if not trials.empty else {}
    if trials.empty:
        raise ReportError(
            "no measured results in " + ", ".join(str(r.path) for r in runs) + " (no trial "
            "finished ok, or none had a measure phase)"
        )
    all_trials = [t for r in runs for t in r.trials]
    engines = _engine_order(all_trials, trials)
    labels = _workload_labels(runs, trials)
    series = pd.concat(collector.series, ignore_index=True)
    distributions = {key: LatencyDistribution(c.histogram()) for key, c in collector.groups.items()}
    workloads = tuple(
        _workload_report(
            workload_hash, label, runs, trials, series, distributions, estimates, engines
        )
        for workload_hash, label in labels.items()
    )
    descriptions = dict(LATENCY_KINDS)
    for run in runs:
        for kind, text in _mapping(run.manifest.get("latency_kinds")).items():
            descriptions.setdefault(kind, _text(text))
    return ReportData(
        title=title or _default_title(workloads, engines),
        runs=tuple(_run_info(r) for r in runs),
        workloads=workloads,
        engines=tuple(_engine_setup(e, all_trials) for e in engines),
        trials=trials,
        latency_kinds=descriptions,
        excluded=tuple(
            ExcludedTrial(t.run_id, t.trial, t.engine, t.workload, t.status, t.error)
            for t in all_trials
            if t.status != "ok"
        ),
    )


_PARALLEL_ROWS = 20_000
"""Interval rows below which starting worker processes (~0.5 s) costs more than it saves."""
_MAX_WORKERS = 4


def _workers(runs: Sequence[_Run]) -> int:
    rows = 0
    for run in runs:
        for entry in run.manifest.get("trials") or []:
            count = _mapping(entry).get("rows")
            rows += count if isinstance(count, int) else 0
    if rows < _PARALLEL_ROWS:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cores = cores or 1
    # A worker pays for itself only on an idle core: on a busy machine it would start
    # (~0.5 s of imports) and then share a core with this process.
    try:
        idle = cores - os.getloadavg()[0]
    except OSError:
        idle = float(cores)
    return max(1, min(cores, _MAX_WORKERS, len(runs), math.ceil(idle - 0.25)))


class _Workers:
    """Worker processes for the two costly steps, decoding and bootstrap intervals.

    Work is cut into several chunks per worker and queued; this process works through
    the queue from its far end, taking every chunk no worker has started, so a worker
    slowed down by a busy machine holds up nothing. Results come back in chunk order:
    the outcome never depends on the number of workers.
    """

    CHUNKS_PER_WORKER = 4

    def __init__(self, count: int) -> None:
        self.count = max(1, count)
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def map_chunks(self, func: Callable[[list[_T]], _R], items: Sequence[_T]) -> list[_R]:
        parts = min(len(items), self.count * self.CHUNKS_PER_WORKER if self.count > 1 else 1)
        chunks = [
            [items[i] for i in chunk]
            for chunk in np.array_split(np.arange(len(items)), max(parts, 1))
            if len(chunk)
        ]
        if self.count <= 1 or len(chunks) <= 1:
            return [func(chunk) for chunk in chunks]
        try:
            pool = self._started()
            futures = [pool.submit(func, chunk) for chunk in chunks]
            here: dict[int, _R] = {}
            for i in reversed(range(len(chunks))):
                if futures[i].cancel():
                    here[i] = func(chunks[i])
            return [here[i] if i in here else futures[i].result() for i in range(len(chunks))]
        except (BrokenProcessPool, OSError, pickle.PicklingError):
            # No worker processes here (a sandbox, no /dev/shm): the same work, here.
            self.__exit__()
            self.count = 1
            return [func(chunk) for chunk in chunks]

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn, not fork: this process may hold threads (pyarrow's pools) that a
            # fork would copy in the middle of whatever lock they held.
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=self.count - 1, mp_context=context)
        return self._pool


def _collect(runs: Sequence[_Run], workers: _Workers) -> _Collector:
    collector = _Collector()
    for part in workers.map_chunks(_collect_part, runs):
        collector.merge(part)
    return collector


_EstimateKey = tuple[str, str, str, str]
"""(workload hash, latency kind, operation, engine)."""


def _estimate_share(
    tasks: list[tuple[_EstimateKey, dict[str, list[float]]]],
) -> list[tuple[_EstimateKey, dict[str, Estimate]]]:
    out = []
    for key, columns in tasks:
        estimates = {column: _estimate(columns[column], CONFIDENCE) for column in ESTIMATED}
        for column in MEDIAN_ONLY:
            estimates[column] = _estimate(columns[column], None)
        out.append((key, estimates))
    return out


def _estimate_all(
    trials: pd.DataFrame, workers: _Workers
) -> dict[_EstimateKey, dict[str, Estimate]]:
    tasks: list[tuple[_EstimateKey, dict[str, list[float]]]] = []
    keys = ["workload_hash", "latency_kind", "operation", "engine"]
    for key, part in trials.groupby(keys, sort=False):
        columns = {c: part[c].astype(float).tolist() for c in (*ESTIMATED, *MEDIAN_ONLY)}
        workload_hash, kind, operation, engine = (str(k) for k in key)
        tasks.append(((workload_hash, kind, operation, engine), columns))
    results: dict[_EstimateKey, dict[str, Estimate]] = {}
    for share in workers.map_chunks(_estimate_share, tasks):
        for key, estimates in share:
            results[key] = estimates
    return results


def _trial_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(TRIAL_COLUMNS))
    ints = ("trial", "repetition", "count", "errors", "not_found")
    floats: tuple[str, ...] = ("duration_s", "ops_per_s", "p50_us", "p90_us", "p99_us")
    floats += ("p999_us", "max_us", "mean_us")
    return frame.astype({**dict.fromkeys(ints, "int64"), **dict.fromkeys(floats, "float64")})


def _engine_order(all_trials: Sequence[_TrialInfo], trials: pd.DataFrame) -> tuple[str, ...]:
    measured = set(trials["engine"])
    ordered = dict.fromkeys(t.engine for t in all_trials if t.engine in measured)
    ordered.update(dict.fromkeys(sorted(measured - set(ordered))))
    return tuple(ordered)


def _workload_labels(runs: Sequence[_Run], trials: pd.DataFrame) -> dict[str, str]:
    """workload hash → label, in the order the runs first measured them."""
    pairs = trials[["workload", "workload_hash"]].drop_duplicates()
    hashes_per_name = pairs.groupby("workload")["workload_hash"].nunique()
    labels: dict[str, str] = {}
    for name, workload_hash in pairs.itertuples(index=False):
        many = int(hashes_per_name.loc[name]) > 1
        labels[str(workload_hash)] = f"{name}@{str(workload_hash)[:8]}" if many else str(name)
    return labels


def _spec_for(runs: Sequence[_Run], workload_hash: str) -> Mapping[str, object]:
    for run in runs:
        for entry in _mapping(run.manifest.get("workloads")).values():
            item = _mapping(entry)
            if item.get("hash") == workload_hash:
                return _mapping(item.get("spec"))
    return {}


def _operation_key(operation: str) -> tuple[int, int, str]:
    if operation == TOTAL:
        return (2, 0, operation)
    if operation in OPERATION_ORDER:
        return (0, OPERATION_ORDER.index(operation), operation)
    return (1, 0, operation)


def _workload_report(
    workload_hash: str,
    label: str,
    runs: Sequence[_Run],
    trials: pd.DataFrame,
    series: pd.DataFrame,
    distributions: Mapping[tuple[str, str, str, str], LatencyDistribution],
    estimates: Mapping[_EstimateKey, Mapping[str, Estimate]],
    engine_order: Sequence[str],
) -> WorkloadReport:
    mine = trials[trials["workload_hash"] == workload_hash]
    present = set(mine["engine"])
    engines = tuple(e for e in engine_order if e in present)
    operations = tuple(sorted(set(mine["operation"]), key=_operation_key))
    kinds_present = set(mine["latency_kind"])
    kind_names = [k for k in KIND_ORDER if k in kinds_present]
    kind_names += sorted(kinds_present - set(KIND_ORDER))
    kinds = tuple(
        KindReport(
            kind=kind,
            description=LATENCY_KINDS.get(kind, ""),
            rows=_summary_rows(mine[mine["latency_kind"] == kind], engines, operations, estimates),
            distributions={
                (engine, operation): dist
                for (h, k, engine, operation), dist in distributions.items()
                if h == workload_hash and k == kind
            },
        )
        for kind in kind_names
    )
    spec = _spec_for(runs, workload_hash)
    primary = kind_names[0]
    selected = series[
        (series["workload_hash"] == workload_hash) & (series["latency_kind"] == primary)
    ]
    return WorkloadReport(
        label=label,
        name=str(mine["workload"].iloc[0]),
        hash=workload_hash,
        spec=spec,
        engines=engines,
        operations=operations,
        kinds=kinds,
        throughput=_throughput_series(selected),
        latency=_latency_series(selected),
    )


def _estimate(values: Sequence[float], level: float | None) -> Estimate:
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return Estimate(math.nan, math.nan, math.nan, 0)
    value = float(np.median(finite))
    if len(finite) == 1:
        return Estimate(value, value, value, 1)
    if level is None:
        return Estimate(value, math.nan, math.nan, len(finite))
    low, high = bootstrap_ci(finite, statistic="median", level=level, seed=0)
    return Estimate(value, low, high, len(finite))


def _summary_rows(
    rows: pd.DataFrame,
    engines: Sequence[str],
    operations: Sequence[str],
    estimates: Mapping[_EstimateKey, Mapping[str, Estimate]],
) -> tuple[SummaryRow, ...]:
    out: list[SummaryRow] = []
    grouped = {key: part for key, part in rows.groupby(["operation", "engine"], sort=False)}
    for operation in operations:
        for engine in engines:
            part = grouped.get((operation, engine))
            if part is None:
                continue
            first = part.iloc[0]
            key = (str(first["workload_hash"]), str(first["latency_kind"]), operation, engine)
            found = estimates[key]
            out.append(
                SummaryRow(
                    operation=operation,
                    engine=engine,
                    repetitions=len(part),
                    ops_per_s=found["ops_per_s"],
                    p50_us=found["p50_us"],
                    p90_us=found["p90_us"],
                    p99_us=found["p99_us"],
                    p999_us=found["p999_us"],
                    mean_us=found["mean_us"],
                    max_us=float(part["max_us"].max()),
                    count=int(part["count"].sum()),
                    errors=int(part["errors"].sum()),
                    not_found=int(part["not_found"].sum()),
                )
            )
    return tuple(out)


def _throughput_series(selected: pd.DataFrame) -> pd.DataFrame:
    columns = ["engine", "start_s", "duration_s", "ops_per_s", "trials"]
    if selected.empty:
        return pd.DataFrame(columns=columns)
    per_trial = selected.groupby(["engine", "run_id", "trial", "start_s"], sort=False).agg(
        count=("count", "sum"), duration_s=("duration_s", "max")
    )
    per_trial = per_trial[per_trial["duration_s"] > 0]
    per_trial["ops_per_s"] = per_trial["count"] / per_trial["duration_s"]
    out = (
        per_trial.groupby(["engine", "start_s"])
        .agg(
            duration_s=("duration_s", "median"),
            ops_per_s=("ops_per_s", "median"),
            trials=("ops_per_s", "size"),
        )
        .reset_index()
    )
    return out[columns]


def _latency_series(selected: pd.DataFrame) -> pd.DataFrame:
    columns = ["engine", "operation", "start_s", "duration_s", "p50_us", "p99_us", "trials"]
    usable = selected[selected["count"] > 0]
    if usable.empty:
        return pd.DataFrame(columns=columns)
    out = (
        usable.groupby(["engine", "operation", "start_s"])
        .agg(
            duration_s=("duration_s", "median"),
            p50_us=("p50_us", "median"),
            p99_us=("p99_us", "median"),
            trials=("p50_us", "size"),
        )
        .reset_index()
    )
    return out[columns]


def _distinct(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v != ""))


def _engine_setup(engine: str, all_trials: Sequence[_TrialInfo]) -> EngineSetup:
    mine = [t for t in all_trials if t.engine == engine]
    setting_names = dict.fromkeys(k for t in mine for k in t.settings)
    provenance_names = dict.fromkeys(k for t in mine for k in t.provenance)
    return EngineSetup(
        engine=engine,
        versions=_distinct(t.engine_version for t in mine),
        adapters=_distinct(t.adapter for t in mine),
        threads=_distinct(t.threads for t in mine),
        settings={
            name: _distinct(t.settings.get(name, "") for t in mine) for name in setting_names
        },
        provenance={
            name: _distinct(t.provenance.get(name, "") for t in mine) for name in provenance_names
        },
        trials_ok=sum(t.status == "ok" for t in mine),
        trials_total=len(mine),
    )


def _run_info(run: _Run) -> RunInfo:
    manifest = run.manifest
    bakeoff = _mapping(manifest.get("bakeoff"))
    command = manifest.get("command")
    sha = bakeoff.get("git_sha")
    dirty = bakeoff.get("dirty")
    return RunInfo(
        run_id=run.run_id,
        path=run.path,
        status=_text(manifest.get("status")) or "unknown",
        started_at=_text(manifest.get("started_at")),
        ended_at=_text(manifest.get("ended_at")),
        command=tuple(_text(c) for c in command) if isinstance(command, list) else (),
        options=_mapping(manifest.get("options")),
        bakeoff_version=_text(bakeoff.get("version")),
        git_sha=_text(sha) if sha else None,
        dirty=dirty if isinstance(dirty, bool) else None,
        host=_mapping(manifest.get("host")),
        drivers={k: _text(v) for k, v in _mapping(manifest.get("drivers")).items()},
        trials_ok=sum(t.status == "ok" for t in run.trials),
        trials_total=len(run.trials),
    )


def _default_title(workloads: Sequence[WorkloadReport], engines: Sequence[str]) -> str:
    names = ", ".join(w.label for w in workloads)
    return f"bakeoff: {names} on {', '.join(engines)}"


def format_timestamp(value: str) -> str:
    """An ISO timestamp from a manifest as `2026-11-25 13:01:31 UTC` (else unchanged)."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


# -- shared wording and number formats -----------------------------------------------


def format_number(value: float) -> str:
    """A table number: 35,629 · 479.5 · 7.70 · 0.123 (three or more significant digits)."""
    if not math.isfinite(value):
        return "–"
    # Thresholds sit where rounding would carry into the next decade (9.996 → "10.0").
    magnitude = abs(value)
    if magnitude >= 999.95:
        return f"{value:,.0f}"
    if magnitude >= 9.995:
        return f"{value:.1f}"
    if magnitude >= 0.9995:
        return f"{value:.2f}"
    return f"{value:.3g}"


def format_interval(estimate: Estimate) -> str:
    """`low–high` of an estimate, or "" when it has no interval."""
    if not estimate.has_interval:
        return ""
    return f"{format_number(estimate.low)}–{format_number(estimate.high)}"


DURABILITY_WORDS = re.compile(
    r"sync|journal|durab|commit|(^|_)wal(_|$)|flush|append|checkpoint|concern|consisten|isolation|"
    r"replica|save|barrier|write_?back|fsync",
    re.IGNORECASE,
)
"""Setting names that decide what a write survives or what a read sees: the settings a
fair comparison must line up first."""


def is_durability_setting(name: str) -> bool:
    return DURABILITY_WORDS.search(name) is not None


PROVENANCE_SHOWN = (
    ("provisioner", "provided as"),
    ("image", "image"),
    ("image_digest", "image digest"),
    ("image_id", "image id"),
    ("recipe_hash", "image recipe hash"),
    ("cpus", "CPU limit"),
    ("memory", "memory limit"),
    ("port_forwarding", "port forwarding"),
)
"""Provenance a reader needs to reproduce an engine; per-trial details (container ids,
ports, temporary paths) are left out."""


def limits_text(setup: EngineSetup, key: str) -> str:
    """A container limit, or what stands in for it for engines outside a container."""
    values = setup.provenance.get(key, ())
    if values:
        return ", ".join(values)
    provisioners = setup.provenance.get("provisioner", ())
    if "embedded" in provisioners:
        return "none: in the benchmark's own process"
    if "external" in provisioners:
        return "not managed by bakeoff (external server)"
    return "not recorded"


# -- the methodology section, as neutral tables both renderers share ----------------


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    title: str = ""
    groups: frozenset[int] = frozenset()
    """Indices of rows that head a group of rows (their first cell is the heading)."""
    marked: frozenset[int] = frozenset()
    """Indices of rows to draw attention to (durability and consistency settings)."""


@dataclass(frozen=True)
class Section:
    slug: str
    heading: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()


def methodology(report: ReportData) -> tuple[Section, ...]:
    """How the numbers were made: everything here comes from the runs' manifests."""
    sections = [
        _latency_section(report),
        _summarising_section(report),
        _engines_section(report),
        _workloads_section(report),
        _runs_section(report),
        _hosts_section(report),
        _drivers_section(report),
    ]
    if report.excluded:
        sections.append(_excluded_section(report))
    return tuple(sections)


def _latency_section(report: ReportData) -> Section:
    kinds = dict.fromkeys(k.kind for w in report.workloads for k in w.kinds)
    paragraphs = [
        f"{kind.capitalize()} time: {report.latency_kinds.get(kind, 'not described')}"
        for kind in kinds
    ]
    if list(kinds) == ["service"]:
        paragraphs.append(
            "Every trial ran closed-loop (each worker waits for its previous call), so "
            "every latency in this report is service time. Under a closed loop a stalled "
            "engine also slows the requests it would have received, so the latency "
            "percentiles do not show what clients arriving at a fixed rate would see."
        )
    else:
        paragraphs.append(
            "Each summary table and plot says which kind it shows; where both were "
            "measured, response time is shown first."
        )
    return Section("latency-kinds", "Service time and response time", tuple(paragraphs))


def _summarising_section(report: ReportData) -> Section:
    level = f"{report.level:.0%}"
    paragraphs = (
        "Only the measured phase counts: load and warm-up are recorded but left out of "
        "every number here. Each trial is reduced the way `bakeoff.report.summarize` "
        "does it: throughput is successful operations over the phase's wall time, and "
        "percentiles come from the exact merge of the trial's interval histograms "
        "(percentiles are never averaged).",
        "Where an engine ran a workload several times (repetitions, or several runs "
        "given to the report), a table shows the median over those trials with its "
        f"{level} bootstrap confidence interval (percentile bootstrap of the median, "
        "seeded, so rebuilding the report gives the same interval). With few "
        "repetitions the interval is wide and rough: it is a reminder of the spread, "
        "not a precise bound. max is the largest latency of any trial; errors and "
        "operation counts are summed over the trials.",
        "The percentile plots merge every histogram of every trial of an engine, so "
        "their tails rest on all measured operations.",
        "Trials that did not finish ok are left out of every number and listed under "
        "“Excluded trials”.",
    )
    return Section("summarising", "How the numbers are summarised", paragraphs)


def _engines_section(report: ReportData) -> Section:
    engines = report.engines
    columns = ("", *(e.engine for e in engines))
    rows: list[tuple[str, ...]] = []
    groups: set[int] = set()
    marked: set[int] = set()

    def add(label: str, values: Iterable[str]) -> None:
        rows.append((label, *values))

    def joined(values: Sequence[str], empty: str = "not recorded") -> str:
        return ", ".join(values) if values else empty

    add("version", (joined(e.versions) for e in engines))
    add("adapter", (joined(e.adapters) for e in engines))
    for key, label in PROVENANCE_SHOWN:
        if key in ("cpus", "memory"):
            add(label, (limits_text(e, key) for e in engines))
        elif any(e.provenance.get(key) for e in engines):
            add(label, (joined(e.provenance.get(key, ()), "–") for e in engines))
    add("client threads", (joined(e.threads) for e in engines))
    add("trials ok / run", (f"{e.trials_ok} / {e.trials_total}" for e in engines))
    names = dict.fromkeys(name for e in engines for name in e.settings)
    durable = [n for n in names if is_durability_setting(n)]
    other = [n for n in names if not is_durability_setting(n)]
    for heading, chosen, mark in (
        ("Durability and consistency settings", durable, True),
        ("Other engine settings", other, False),
    ):
        groups.add(len(rows))
        add(heading, ("" for _ in engines))
        if not chosen:
            add("(none recorded)", ("" for _ in engines))
        for name in chosen:
            if mark:
                marked.add(len(rows))
            add(name, (joined(e.settings.get(name, ()), "not set") for e in engines))
    paragraphs = (
        "How each engine ran, side by side, from the trials' manifests: a difference in "
        "a durability or consistency setting (highlighted) changes what a write costs, "
        "so compare those rows before comparing the numbers. Settings are what bakeoff "
        "set or read back from the engine; “not set” means that engine did not report "
        "that setting, not that it has no equivalent.",
    )
    table = Table(columns, tuple(rows), groups=frozenset(groups), marked=frozenset(marked))
    return Section("engines", "Engines side by side", paragraphs, (table,))


def _flatten(value: object, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, Mapping):
        items: list[tuple[str, str]] = []
        for key, inner in value.items():
            items.extend(_flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return items
    if isinstance(value, list):
        return [(prefix, ", ".join(_text(v) for v in value))]
    return [(prefix, _text(value) if value is not None else "–")]


def _workloads_section(report: ReportData) -> Section:
    tables = []
    for workload in report.workloads:
        rows = [("spec hash (SHA-256)", workload.hash)]
        rows += [(k, v) for k, v in _flatten(workload.spec) if k != "operations" and v != ""]
        tables.append(Table(("setting", "value"), tuple(rows), title=workload.label))
    paragraphs = (
        "Each workload's full specification as it ran, defaults filled in. The hash "
        "identifies the spec: trials share a row of the summary only when it matches.",
    )
    return Section("workloads", "Workloads", paragraphs, tuple(tables))


def _options_text(options: Mapping[str, object]) -> str:
    return ", ".join(f"{k}={_text(v) if v is not None else '–'}" for k, v in options.items())


def _runs_section(report: ReportData) -> Section:
    rows = []
    for run in report.runs:
        sha = run.git_sha[:12] if run.git_sha else "unknown"
        if run.dirty:
            sha += " (uncommitted changes)"
        rows.append(
            (
                run.run_id,
                format_timestamp(run.started_at),
                format_timestamp(run.ended_at) if run.ended_at else "–",
                run.status,
                f"{run.trials_ok} / {run.trials_total}",
                run.bakeoff_version or "unknown",
                sha,
                _options_text(run.options),
                " ".join(run.command),
            )
        )
    columns: tuple[str, ...] = ("run", "started", "ended", "status", "trials ok", "bakeoff")
    columns += ("git sha", "options", "command")
    return Section(
        "runs",
        "Runs",
        ("The runs this report was made from, oldest first.",),
        (Table(columns, tuple(rows)),),
    )


def _memory_text(value: object) -> str:
    if isinstance(value, int | float) and value > 0:
        return f"{value / 2**30:.1f} GiB"
    return "unknown"


def _hosts_section(report: ReportData) -> Section:
    hosts: dict[tuple[str, ...], list[str]] = {}
    for run in report.runs:
        host = run.host
        cores = f"{_text(host.get('logical_cores')) or '?'} logical"
        if host.get("usable_cores") not in (None, host.get("logical_cores")):
            cores += f", {_text(host.get('usable_cores'))} usable"
        key = (
            _text(host.get("cpu_model")) or "unknown",
            cores,
            _memory_text(host.get("memory_bytes")),
            f"{_text(host.get('os'))} {_text(host.get('kernel'))}".strip() or "unknown",
            f"{_text(host.get('python_implementation'))} {_text(host.get('python'))}".strip(),
        )
        hosts.setdefault(key, []).append(run.run_id)
    rows = tuple((*key, _runs_text(ids)) for key, ids in hosts.items())
    columns = ("CPU", "cores", "memory", "OS and kernel", "Python", "runs")
    return Section(
        "hosts",
        "Hosts",
        (
            "The machine that ran the load generator. Embedded engines ran inside it; "
            "container engines on the same machine, within the limits listed above.",
        ),
        (Table(columns, rows),),
    )


def _runs_text(run_ids: Sequence[str]) -> str:
    if len(run_ids) <= 3:
        return ", ".join(run_ids)
    return f"{len(run_ids)} runs ({run_ids[0]} … {run_ids[-1]})"


def _drivers_section(report: ReportData) -> Section:
    drivers: dict[str, dict[str, None]] = {}
    for run in report.runs:
        for name, version in run.drivers.items():
            drivers.setdefault(name, {})[version] = None
    rows = tuple((name, ", ".join(versions)) for name, versions in drivers.items())
    return Section(
        "drivers",
        "Client libraries",
        ("Versions of the Python packages that can change a result, as installed for the runs.",),
        (Table(("package", "version"), rows),),
    )


def _excluded_section(report: ReportData) -> Section:
    rows = tuple(
        (t.run_id, str(t.trial), t.engine, t.workload, t.status, t.error or "–")
        for t in report.excluded
    )
    return Section(
        "excluded",
        "Excluded trials",
        ("These trials did not finish ok; none of their measurements appear above.",),
        (Table(("run", "trial", "engine", "workload", "status", "error"), rows),),
    )
