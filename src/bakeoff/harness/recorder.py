"""Per-connection latency and outcome recording, folded in chunks, reported per interval.

The connection's hot path only stores timestamps and outcome codes into preallocated arrays; every
few hundred operations it hands the filled arrays to `Recorder.add_chunk`, which counts them
per (interval, operation) and histogram bucket in one table and adds each group's counts
to its HdrHistogram.
Operations that end in an error keep their latency too, in a histogram per error kind,
never mixed with the successes' (a stall that ends in a timeout must stay visible).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from enum import IntEnum
from typing import ClassVar, cast

import numpy as np
import numpy.typing as npt

from bakeoff.adapters.errors import ErrorKind
from bakeoff.core import histogram as hdr
from bakeoff.core.measures import IntervalRow, LatencyKind, Phase


class Outcome(IntEnum):
    OK = 0
    NOT_FOUND = 1
    TRANSIENT = 2
    FATAL = 3
    UNSUPPORTED = 4


_N_OUTCOMES = len(Outcome)
_OK = int(Outcome.OK)  # a plain int: enum attribute lookups show up at this call rate

_OUTCOME_OF_ERROR = {
    ErrorKind.TRANSIENT: Outcome.TRANSIENT,
    ErrorKind.FATAL: Outcome.FATAL,
    ErrorKind.UNSUPPORTED: Outcome.UNSUPPORTED,
}


def outcome_for(kind: ErrorKind) -> Outcome:
    return _OUTCOME_OF_ERROR[kind]


_ERROR_KIND_OF_CODE = {int(outcome): kind.value for kind, outcome in _OUTCOME_OF_ERROR.items()}
"""Outcome code → the error kind its latencies are kept under (not-found has none)."""
_LATENCY_OUTCOMES = (_OK, *sorted(_ERROR_KIND_OF_CODE, key=_ERROR_KIND_OF_CODE.__getitem__))
"""The outcomes whose latencies are kept: successes, then each error kind by name."""


_MAX_PACKED_GROUPS = 1 << 16
"""A chunk spanning more (interval, operation) groups numbers the ones it has by sorting."""
_DENSE_CELLS = 1 << 14
"""(group, histogram bucket) cells a chunk counts in one dense table at most."""

_PHASE_ORDER = {phase: i for i, phase in enumerate(Phase)}
_KIND_ORDER = {kind: i for i, kind in enumerate(LatencyKind)}

_GroupKey = int
"""interval * len(operations) + operation index."""
_HistKey = tuple[LatencyKind, int, _GroupKey]
"""(latency kind, outcome code, group)."""


class Recorder:
    """Per connection, never shared between threads. Interval = floor((end_ns -
    start_ns) / interval_ns).

    Only the newest interval's histograms are kept live (hdrh allocates 33,792 eight-byte
    counters, 270 KB, per histogram at 3 significant digits up to an hour, so 600 intervals x
    ops x kinds live would take gigabytes). Once a chunk reaches a later interval, the older
    ones are encoded (a few KB each) and their histograms reused. A chunk that goes back to an
    encoded interval decodes it again, which is exact: the encoding holds every counter.
    """

    per_chunk: ClassVar[bool] = False
    """True: it reads its stream's last chunk, so loops hand it each chunk alone."""

    def __init__(
        self,
        operations: Sequence[str],
        phase: Phase,
        *,
        start_ns: int,
        interval_ns: int = 1_000_000_000,
        response_time: bool = False,
    ) -> None:
        if not operations:
            raise ValueError("a recorder needs at least one operation")
        if len(set(operations)) != len(operations):
            raise ValueError(f"duplicate operation names: {list(operations)}")
        if len(operations) > np.iinfo(np.uint8).max + 1:
            raise ValueError("operation indexes are uint8: at most 256 operations")
        if interval_ns <= 0:
            raise ValueError("interval_ns must be positive")
        self._operations = tuple(operations)
        self._n_ops = len(self._operations)
        self._phase = phase
        self._start_ns = start_ns
        self._interval_ns = interval_ns
        self._response_time = response_time
        self._kinds = (
            (LatencyKind.SERVICE, LatencyKind.RESPONSE) if response_time else (LatencyKind.SERVICE,)
        )
        self._outcomes: dict[_GroupKey, npt.NDArray[np.int64]] = {}
        self._live: dict[_HistKey, hdr.Histogram] = {}
        self._encoded: dict[_HistKey, str] = {}
        self._spare: list[hdr.Histogram] = []
        self._newest_interval = 0
        self._last_end_ns: int | None = None
        self._total_ops = 0
        self._clamped = 0

    @property
    def total_ops(self) -> int:
        """Operations recorded, whatever their outcome."""
        return self._total_ops

    @property
    def newest_interval(self) -> int:
        """The latest interval an operation has ended in; the ones before are retired."""
        return self._newest_interval

    def clamped(self) -> int:
        """Latencies outside [1 ns, 1 h] recorded at the nearest bound (service and response,
        successes and errors)."""
        return self._clamped

    def add_chunk(
        self,
        ops: npt.NDArray[np.uint8],
        ends_ns: npt.NDArray[np.int64],
        service_ns: npt.NDArray[np.int64],
        outcomes: npt.NDArray[np.uint8],
        response_ns: npt.NDArray[np.int64] | None = None,
    ) -> None:
        """Fold one chunk of completed operations (parallel arrays, any order).

        `ops` indexes `operations`; `outcomes` holds `Outcome` codes. Every outcome is
        counted; OK operations enter the latency histograms, errors their kind's own, and
        not-found results none (they are counted only, as they always were).
        `response_ns` is required exactly when the recorder was made with
        response_time=True. The chunk is validated before anything is recorded, so a
        rejected chunk leaves the recorder unchanged.
        """
        n = len(ops)
        if not (len(ends_ns) == len(service_ns) == len(outcomes) == n):
            raise ValueError("chunk arrays differ in length")
        if self._response_time != (response_ns is not None):
            raise ValueError(
                "response_ns must be given exactly when the recorder keeps response time"
            )
        if response_ns is not None and len(response_ns) != n:
            raise ValueError("chunk arrays differ in length")
        if n == 0:
            return
        op_index = np.asarray(ops).astype(np.int64)
        outcome = np.asarray(outcomes).astype(np.int64)
        if int(op_index.max()) >= self._n_ops:
            raise ValueError(f"operation index out of range (have {self._n_ops} operations)")
        if int(outcome.max()) >= _N_OUTCOMES:
            raise ValueError("unknown outcome code")

        ends = np.asarray(ends_ns, dtype=np.int64)
        end_max = int(ends.max())
        first = (int(ends.min()) - self._start_ns) // self._interval_ns
        last = (end_max - self._start_ns) // self._interval_ns
        if first < 0:
            raise ValueError("an operation ended before the recorder's start_ns")
        groups, key_of = self._group(ends, op_index, first, last)
        n_groups = self._count_outcomes(groups, outcome, key_of)
        latencies = [(LatencyKind.SERVICE, np.asarray(service_ns, dtype=np.int64))]
        if response_ns is not None:
            latencies.append((LatencyKind.RESPONSE, np.asarray(response_ns, dtype=np.int64)))
        self._fold_latencies(groups, n_groups, outcome, latencies, key_of)
        self._total_ops += n
        if self._last_end_ns is None or end_max > self._last_end_ns:
            self._last_end_ns = end_max
        if last > self._newest_interval:
            self._newest_interval = last
            self._retire_before(last)

    def _group(
        self,
        ends: npt.NDArray[np.int64],
        op_index: npt.NDArray[np.int64],
        first: int,
        last: int,
    ) -> tuple[npt.NDArray[np.int64], Callable[[int], _GroupKey]]:
        """Chunk-local group ids (small, dense) and the map back to recorder-wide keys."""
        base = first * self._n_ops
        if first == last:  # the usual chunk: the operation index is the group
            return op_index, lambda g: base + g
        intervals = (ends - self._start_ns) // self._interval_ns
        if (last - first + 1) * self._n_ops <= _MAX_PACKED_GROUPS:
            local = (intervals - first) * self._n_ops + op_index
            return local, lambda g: base + g
        # Only a chunk straddling a stall of millions of intervals gets here.
        keys, inverse = np.unique(intervals * self._n_ops + op_index, return_inverse=True)
        return inverse.astype(np.int64), lambda g: int(keys[g])

    def _count_outcomes(
        self,
        groups: npt.NDArray[np.int64],
        outcome: npt.NDArray[np.int64],
        key_of: Callable[[int], _GroupKey],
    ) -> int:
        """Count the chunk's outcomes per group; returns the number of group ids."""
        n_groups = int(groups.max()) + 1
        table = np.bincount(groups * _N_OUTCOMES + outcome, minlength=n_groups * _N_OUTCOMES)
        table = table.reshape(n_groups, _N_OUTCOMES)
        for g in cast("list[int]", np.flatnonzero(table.any(axis=1)).tolist()):
            counts = self._outcomes.setdefault(key_of(g), np.zeros(_N_OUTCOMES, dtype=np.int64))
            counts += table[g]
        return n_groups

    def _fold_latencies(
        self,
        groups: npt.NDArray[np.int64],
        n_groups: int,
        outcome: npt.NDArray[np.int64],
        latencies: Sequence[tuple[LatencyKind, npt.NDArray[np.int64]]],
        key_of: Callable[[int], _GroupKey],
    ) -> None:
        """Successes into their histograms, each error kind into its own."""
        present = np.bincount(outcome, minlength=_N_OUTCOMES)
        if present[_OK] == len(outcome):  # the hot case: no mask to apply
            for kind, values in latencies:
                self._fold((kind, _OK), groups, n_groups, values, key_of)
            return
        for code in (c for c in _LATENCY_OUTCOMES if present[c]):
            selected = outcome == code
            for kind, values in latencies:
                self._fold((kind, code), groups[selected], n_groups, values[selected], key_of)

    def _fold(
        self,
        histograms: tuple[LatencyKind, int],
        groups: npt.NDArray[np.int64],
        n_groups: int,
        values: npt.NDArray[np.int64],
        key_of: Callable[[int], _GroupKey],
    ) -> None:
        """Count the chunk per (group, histogram bucket) and add each group's counts."""
        if len(values) == 0:
            return
        clipped, clamped = hdr.clamp(values)
        self._clamped += clamped
        index = hdr.counts_indices(_layout(), clipped)
        lowest = np.full(n_groups, hdr.HIGHEST_NS, dtype=np.int64)
        np.minimum.at(lowest, groups, clipped)
        highest = np.zeros(n_groups, dtype=np.int64)
        np.maximum.at(highest, groups, clipped)
        low = int(index.min())
        width = int(index.max()) - low + 1
        table = None
        if n_groups * width <= _DENSE_CELLS:  # the usual chunk: one table, no sort
            cells = np.bincount(groups * width + (index - low), minlength=n_groups * width)
            table = cells.reshape(n_groups, width).astype(np.uint64)
            used = np.flatnonzero(table.any(axis=1))
        else:  # latencies spread over many buckets: count the buckets that occur
            used = np.unique(groups)
        mins, maxes = lowest.tolist(), highest.tolist()
        for g in cast("list[int]", used.tolist()):
            hist = self._histogram((*histograms, key_of(g)))
            if table is not None:
                hdr.add_counts(hist, slice(low, low + width), table[g], mins[g], maxes[g])
            else:
                buckets, counts = np.unique(index[groups == g], return_counts=True)
                hdr.add_counts(hist, buckets, counts.astype(np.uint64), mins[g], maxes[g])

    def _histogram(self, live_key: _HistKey) -> hdr.Histogram:
        hist = self._live.get(live_key)
        if hist is not None:
            return hist
        encoded = self._encoded.pop(live_key, None)
        if encoded is not None:
            hist = hdr.decode(encoded)
        elif self._spare:
            hist = self._spare.pop()
        else:
            hist = hdr.new_histogram()
        self._live[live_key] = hist
        return hist

    def _retire_before(self, interval: int) -> None:
        for live_key in [k for k in self._live if k[2] // self._n_ops < interval]:
            hist = self._live.pop(live_key)
            self._encoded[live_key] = hdr.encode(hist)
            hdr.reset(hist)
            self._spare.append(hist)

    def rows(self, end_ns: int) -> list[IntervalRow]:
        """One row per (interval, operation, latency kind) that completed any operation.

        An interval in which nothing completed has no row. Non-destructive: recording may go on.
        """
        if self._last_end_ns is not None and end_ns < self._last_end_ns:
            raise ValueError("end_ns is before the last recorded operation")
        interval_s = self._interval_ns / 1e9
        empty = _empty_encoded()
        rows: list[IntervalRow] = []
        for key in sorted(self._outcomes):
            interval, op = divmod(key, self._n_ops)
            start_ns = self._start_ns + interval * self._interval_ns
            duration_ns = min(self._interval_ns, end_ns - start_ns)
            counts = cast("list[int]", self._outcomes[key].tolist())
            for kind in self._kinds:
                errors = tuple(
                    (_ERROR_KIND_OF_CODE[code], self._encoded_histogram((kind, code, key), empty))
                    for code in _LATENCY_OUTCOMES[1:]
                    if counts[code]
                )
                rows.append(
                    IntervalRow(
                        phase=self._phase,
                        operation=self._operations[op],
                        latency_kind=kind,
                        interval=interval,
                        start_s=interval * interval_s,
                        duration_s=duration_ns / 1e9,
                        count=counts[Outcome.OK],
                        not_found=counts[Outcome.NOT_FOUND],
                        errors_transient=counts[Outcome.TRANSIENT],
                        errors_fatal=counts[Outcome.FATAL],
                        errors_unsupported=counts[Outcome.UNSUPPORTED],
                        histogram=self._encoded_histogram((kind, _OK, key), empty),
                        error_histograms=errors,
                    )
                )
        rows.sort(key=_row_order)
        return rows

    def _encoded_histogram(self, key: _HistKey, empty: str) -> str:
        live = self._live.get(key)
        return hdr.encode(live) if live is not None else self._encoded.get(key, empty)


@functools.cache
def _layout() -> hdr.Histogram:
    """A histogram whose bucket layout every recorder histogram shares."""
    return hdr.new_histogram()


@functools.cache
def _empty_encoded() -> str:
    return hdr.encode(hdr.new_histogram())


def _row_order(row: IntervalRow) -> tuple[int, str, int, int]:
    return (_PHASE_ORDER[row.phase], row.operation, _KIND_ORDER[row.latency_kind], row.interval)


def merge_rows(rows: Iterable[IntervalRow]) -> list[IntervalRow]:
    """Exact merge of the same (phase, operation, latency kind, interval) across connections.

    Counts are summed and histograms (the successes' and each error kind's) merged counter
    by counter; duration_s is the longest
    (connections stop at slightly different times, the interval spans all of them).
    """
    grouped: defaultdict[tuple[Phase, str, LatencyKind, int], list[IntervalRow]]
    grouped = defaultdict(list)
    for row in rows:
        grouped[(row.phase, row.operation, row.latency_kind, row.interval)].append(row)
    merged: list[IntervalRow] = []
    for (phase, operation, kind, interval), group in grouped.items():
        if len(group) == 1:
            merged.append(group[0])
            continue
        merged.append(
            IntervalRow(
                phase=phase,
                operation=operation,
                latency_kind=kind,
                interval=interval,
                start_s=min(r.start_s for r in group),
                duration_s=max(r.duration_s for r in group),
                count=sum(r.count for r in group),
                not_found=sum(r.not_found for r in group),
                errors_transient=sum(r.errors_transient for r in group),
                errors_fatal=sum(r.errors_fatal for r in group),
                errors_unsupported=sum(r.errors_unsupported for r in group),
                histogram=hdr.encode(hdr.merge_encoded(r.histogram for r in group)),
                error_histograms=_merge_error_histograms(group),
            )
        )
    merged.sort(key=_row_order)
    return merged


def _merge_error_histograms(rows: Sequence[IntervalRow]) -> tuple[tuple[str, str], ...]:
    by_kind: defaultdict[str, list[str]] = defaultdict(list)
    for row in rows:
        for kind, encoded in row.error_histograms:
            by_kind[kind].append(encoded)
    return tuple((kind, hdr.encode(hdr.merge_encoded(by_kind[kind]))) for kind in sorted(by_kind))
