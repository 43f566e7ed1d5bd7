"""Decoding a report's runs: per trial × operation × latency kind the `summarize()` row,
per engine × workload × operation the merged histogram, and the interval series.

Decoding the interval histograms is nearly all of the cost (a 100-run report holds a
quarter of a million of them), so each one is decoded once, straight into reused
counters, and merged per trial × operation and per engine × workload × operation. Runs
are shared out among worker processes; each returns a picklable `_Part`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from bakeoff.core.histogram import Counts, Decoder, HistogramError
from bakeoff.report.pool import Workers
from bakeoff.results.reader import DamagedRunError, StoredRun, sample_files
from bakeoff.results.schema import success_rows
from bakeoff.results.summary import TOTAL
from bakeoff.results.validity import interval_stats, trial_checks


class _CountsPool:
    """Reused `Counts`: a report merges thousands of trial × operation histograms, and
    clearing the few counters one touched is cheaper than a fresh 33k-counter array."""

    def __init__(self) -> None:
        self._free: list[Counts] = []

    def take(self) -> Counts:
        return self._free.pop() if self._free else Counts()

    def give(self, counts: Iterable[Counts]) -> None:
        for item in counts:
            item.clear()
            self._free.append(item)


@dataclass
class _Part:
    """What a worker process collected from its share of the runs, ready to pickle."""

    trial_rows: list[dict[str, object]]
    series: list[pd.DataFrame]
    groups: dict[tuple[str, str, str, str], tuple[int, int, npt.NDArray[np.uint64]]]
    """key → (lowest touched index, total count, counters from that index on)."""


def _collect_part(runs: Sequence[StoredRun]) -> _Part:
    collector = Collector()
    for run in runs:
        collector.read(run)
    return collector.part()


class Collector:
    """Reads runs one at a time, so memory holds one run's samples, not all of them."""

    def __init__(self) -> None:
        self.decoder = Decoder()
        self.pool = _CountsPool()
        self.groups: dict[tuple[str, str, str, str], Counts] = {}
        """(workload hash, latency kind, engine, operation) → merged counts."""
        self.trial_rows: list[dict[str, object]] = []
        self.series: list[pd.DataFrame] = []

    def read(self, run: StoredRun) -> None:
        ok = run.ok_trials()
        frame = run.samples()
        measured = success_rows(frame[(frame["phase"] == "measure") & frame["trial"].isin(ok)])
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
        intervals: dict[tuple[int, str], tuple[int, float]] = {}
        for (trial, kind), rows in measured.groupby(["trial", "latency_kind"], sort=False):
            intervals[int(str(trial)), str(kind)] = interval_stats(rows)
        try:
            merged = self._merge_rows(measured)
        except HistogramError as exc:
            files = sample_files(run.path)
            raise DamagedRunError(files[0] if len(files) == 1 else run.path, str(exc)) from None
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
            stats = intervals[int(trial), str(kind)]
            total = self.pool.take()
            all_counted: tuple[int, ...] = (0, 0, 0)
            for operation in sorted(operations):
                counts = operations[operation]
                total.add(counts)
                counted = sums[(trial, kind, operation)]
                all_counted = tuple(a + b for a, b in zip(all_counted, counted, strict=True))
                self._trial_row(keys, kind, operation, (duration, *stats), counted, counts)
                self._group(keys, kind, operation).add(counts)
            self._trial_row(keys, kind, TOTAL, (duration, *stats), all_counted, total)
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
                target = self.groups[key] = Counts()
            target.add_counts(counts, low, total)

    def _merge_rows(self, measured: pd.DataFrame) -> dict[tuple[int, str], dict[str, Counts]]:
        merged: dict[tuple[int, str], dict[str, Counts]] = {}
        # Every (trial, kind, operation) gets a row even when no call succeeded, as in
        # summarize(); the histogram then stays empty.
        columns = ("trial", "latency_kind", "operation", "histogram")
        trials, kinds, operations, encoded = (measured[c].to_numpy() for c in columns)
        work: list[tuple[Counts, str]] = []
        for trial, kind, operation, text in zip(trials, kinds, operations, encoded, strict=True):
            per_kind = merged.setdefault((int(trial), str(kind)), {})
            target = per_kind.get(operation)
            if target is None:
                target = per_kind[str(operation)] = self.pool.take()
            if text:
                work.append((target, text))
        self.decoder.add_all(work)
        return merged

    def _group(self, keys: Mapping[str, object], kind: str, operation: str) -> Counts:
        key = (str(keys["workload_hash"]), kind, str(keys["engine"]), operation)
        counts = self.groups.get(key)
        if counts is None:
            counts = self.groups[key] = Counts()
        return counts

    def _trial_row(
        self,
        keys: Mapping[str, object],
        kind: str,
        operation: str,
        timing: tuple[float, int, float],
        counted: tuple[int, ...],
        merged: Counts,
    ) -> None:
        """`timing`: the phase's wall time, its full intervals and their CV."""
        duration = timing[0]
        count, errors, not_found = counted
        latencies = merged.summary_us()
        self.trial_rows.append(
            {
                **keys,
                "operation": operation,
                "duration_s": duration,
                "ops_per_s": count / duration if duration > 0 else math.nan,
                "count": count,
                "errors": errors,
                "not_found": not_found,
                **latencies,
                **trial_checks(*timing, latencies["p999_us"], latencies["max_us"]),
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


def collect(runs: Sequence[StoredRun], workers: Workers) -> Collector:
    collector = Collector()
    for part in workers.map_chunks(_collect_part, runs):
        collector.merge(part)
    return collector
