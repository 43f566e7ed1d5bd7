"""Closed-loop load generation: one worker = one adapter (one connection) + one recorder.

The per-operation path is kept to a dispatch, two clock reads and four list stores.
Everything else happens per chunk, outside the timed region: keys, values, field choices
and scan lengths are generated in bulk with numpy, and the chunk's latencies are folded
into the recorder's histograms in one vectorised call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from bakeoff.adapters.errors import AdapterError, ErrorKind
from bakeoff.adapters.protocol import Adapter, BatchInsert, SplitPhase
from bakeoff.harness.recorder import Outcome, Recorder
from bakeoff.workloads.generators import (
    OperationChooser,
    ValuePool,
    key_names,
    make_key_chooser,
    make_length_chooser,
    worker_rng,
)
from bakeoff.workloads.model import Operation, Workload

CHUNK = 512
_NEVER = 2**63 - 1
"""Operations generated and recorded together (small enough that a duration-bound run
stops on time, large enough that per-chunk work is amortised)."""

_OUTCOME_OF_KIND = {
    ErrorKind.TRANSIENT: Outcome.TRANSIENT,
    ErrorKind.FATAL: Outcome.FATAL,
    ErrorKind.UNSUPPORTED: Outcome.UNSUPPORTED,
}
# Operations whose None result means "the key was not there".
_LOOKUPS = frozenset({Operation.READ, Operation.READ_MODIFY_WRITE})

Call = tuple[Callable[..., Any], tuple[Any, ...]]
_NOTHING: Call = (print, ())  # placeholder, every slot is overwritten


def _ints(values: npt.NDArray[Any]) -> list[int]:
    return cast("list[int]", values.tolist())


def split_evenly(total: int, parts: int) -> list[int]:
    """`total` split into `parts` integers differing by at most one."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def worker_key_number(index: np.ndarray[Any, Any], records: int, worker: int, workers: int) -> Any:
    """Map a worker-local key index to the global key number.

    Indexes below `records` are the loaded records, shared by all workers. Above, each
    worker owns the numbers ``records + worker + k * workers`` for its k-th insert, so
    workers never insert the same key and never read a key another worker has not yet
    inserted, without coordinating.
    """
    own = index >= records
    return np.where(own, records + worker + (index - records) * workers, index)


@dataclass
class OperationStream:
    """The operations of one worker, generated a chunk at a time, deterministic per seed."""

    workload: Workload
    worker: int
    workers: int
    expected_operations: int
    inserted: int = 0
    """Records this worker has scheduled for insertion so far (its own key space)."""
    operations: tuple[Operation, ...] = field(init=False)

    def __post_init__(self) -> None:
        w = self.workload
        mix = w.operations.proportions()
        expected_inserts = int(self.expected_operations * mix[Operation.INSERT] * 2) + 1

        def rng(stream: str) -> np.random.Generator:
            return worker_rng(w.seed, self.worker, stream)

        self._ops = OperationChooser(w.operations, rng("operations"))
        self.operations = self._ops.operations
        self._keys = make_key_chooser(
            w.request_distribution,
            records=w.records,
            expected_inserts=expected_inserts,
            rng=rng("keys"),
        )
        self._scan_lengths = make_length_chooser(w.scan_length, rng("scan-length"))
        self._values = ValuePool(w.fields.length, rng("values"))
        self._field_choice = rng("fields")
        self._field_names = w.fields.names()

    def next_chunk(
        self, adapter: Adapter, n: int, *, split: bool = False
    ) -> tuple[list[int], list[Call]]:
        """`n` operations as (operation indexes, bound calls).

        With `split`, the calls are the adapter's `send_*` halves (SplitPhase), whose
        replies the caller collects with `receive`.

        Built per operation type with list comprehensions over that type's positions:
        a per-operation if-chain here cost more than the no-op operation it prepares.
        """
        w = self.workload
        op_array = self._ops.choose(n)
        op_indexes = _ints(op_array)
        upper = w.records + self.inserted
        chosen = self._keys.choose(n, upper)
        positions = {op: np.flatnonzero(op_array == k) for k, op in enumerate(self.operations)}
        inserts = positions.get(Operation.INSERT)
        if inserts is not None and inserts.size:
            chosen[inserts] = np.arange(upper, upper + inserts.size, dtype=np.int64)
            self.inserted += int(inserts.size)
        numbers = worker_key_number(chosen, w.records, self.worker, self.workers)
        keys = key_names(numbers, prefix=w.key_prefix, insert_order=w.insert_order)
        one_field = self._field_choice.integers(0, len(self._field_names), size=n)
        table = w.table
        calls: list[Call] = [_NOTHING] * n
        methods = _split_methods(adapter) if split else _blocking_methods(adapter)
        for op, where in positions.items():
            if where.size:
                self._bind(op, methods, table, _ints(where), keys, one_field[where], calls)
        return op_indexes, calls

    def _bind(
        self,
        op: Operation,
        methods: Mapping[Operation, Callable[..., Any]],
        table: str,
        at: list[int],
        keys: list[str],
        field_choice: npt.NDArray[Any],
        calls: list[Call],
    ) -> None:
        """Fill `calls` at positions `at` with operation `op`."""
        if op is Operation.READ:
            read = methods[op]
            for i, f in zip(at, self._read_fields(field_choice), strict=True):
                calls[i] = (read, (table, keys[i], f))
        elif op is Operation.UPDATE:
            update = methods[op]
            for i, v in zip(at, self._write_values(field_choice), strict=True):
                calls[i] = (update, (table, keys[i], v))
        elif op is Operation.INSERT:
            insert, names, pool = methods[op], self._field_names, self._values
            for i in at:
                calls[i] = (insert, (table, keys[i], pool.record(names)))
        elif op is Operation.SCAN:
            scan = methods[op]
            lengths = _ints(self._scan_lengths.choose(len(at)))
            fields = self._read_fields(field_choice)
            for i, f, length in zip(at, fields, lengths, strict=True):
                calls[i] = (scan, (table, keys[i], length, f))
        elif op is Operation.READ_MODIFY_WRITE:
            fields = self._read_fields(field_choice)
            values = self._write_values(field_choice)
            rmw = methods[op]
            for i, f, v in zip(at, fields, values, strict=True):
                calls[i] = (rmw, (table, keys[i], f, v))
        else:
            delete = methods[op]
            for i in at:
                calls[i] = (delete, (table, keys[i]))

    def _read_fields(self, field_indexes: npt.NDArray[Any]) -> list[tuple[str, ...] | None]:
        if self.workload.read_all_fields:
            return [None] * len(field_indexes)
        names = self._field_names
        return [(names[f],) for f in _ints(field_indexes)]

    def _write_values(self, field_indexes: npt.NDArray[Any]) -> list[dict[str, str]]:
        if self.workload.write_all_fields:
            return [self._values.record(self._field_names) for _ in range(len(field_indexes))]
        names = self._field_names
        payloads = self._values.values(len(field_indexes))
        return [{names[f]: v} for f, v in zip(_ints(field_indexes), payloads, strict=True)]

    def unissue(self, op_indexes: Sequence[int]) -> None:
        """Give back the keys of generated inserts that were never issued (the phase ended
        mid-chunk), so later phases do not read keys that were never written."""
        insert = (
            self.operations.index(Operation.INSERT) if Operation.INSERT in self.operations else -1
        )
        self.inserted -= sum(1 for i in op_indexes if i == insert)

    def lookup_flags(self) -> list[bool]:
        """Per operation index: does a None result mean NOT_FOUND?"""
        return [op in _LOOKUPS for op in self.operations]


def _blocking_methods(adapter: Adapter) -> dict[Operation, Callable[..., Any]]:
    def read_modify_write(
        table: str, key: str, fields: Sequence[str] | None, values: dict[str, str]
    ) -> object:
        record = adapter.read(table, key, fields)
        if record is None:
            return None
        adapter.update(table, key, values)
        return record

    return {
        Operation.READ: adapter.read,
        Operation.UPDATE: adapter.update,
        Operation.INSERT: adapter.insert,
        Operation.SCAN: adapter.scan,
        Operation.DELETE: adapter.delete,
        Operation.READ_MODIFY_WRITE: read_modify_write,
    }


def _split_methods(adapter: Adapter) -> dict[Operation, Callable[..., Any]]:
    # Read-modify-write is two dependent round trips; workloads with it run on threads.
    split = cast("SplitPhase", adapter)
    return {
        Operation.READ: split.send_read,
        Operation.UPDATE: split.send_update,
        Operation.INSERT: split.send_insert,
        Operation.SCAN: split.send_scan,
        Operation.DELETE: split.send_delete,
    }


@dataclass
class WorkerState:
    """What the main thread may read while a worker runs (progress, failure)."""

    completed: int = 0
    stop_requested: bool = False
    fatal_error: str | None = None


def run_closed_loop(
    adapter: Adapter,
    stream: OperationStream,
    recorder: Recorder,
    state: WorkerState,
    *,
    operations: int | None,
    deadline_ns: int | None,
) -> None:
    """Issue operations back to back until the count or the deadline is reached.

    Closed loop: each operation starts when the previous one completes, so the recorder
    measures service time only (a stalled engine delays the requests that would have been
    sent meanwhile, and they never appear: that is what closed-loop results are).
    """
    lookup = stream.lookup_flags()
    clock = time.perf_counter_ns
    remaining = operations if operations is not None else -1
    deadline = deadline_ns if deadline_ns is not None else _NEVER
    starts = [0] * CHUNK
    ends = [0] * CHUNK
    cleared = [0] * CHUNK
    outcomes = [0] * CHUNK
    not_found = int(Outcome.NOT_FOUND)
    # The loop body is the measured path: locals only, one store per timestamp, outcome
    # slots written only when not OK, the latency subtraction done later in numpy.
    while remaining != 0 and not state.stop_requested:
        n = CHUNK if remaining < 0 else min(CHUNK, remaining)
        op_indexes, calls = stream.next_chunk(adapter, n)
        is_lookup = [lookup[o] for o in op_indexes]
        outcomes[:] = cleared
        done = n
        failed = False
        for i in range(n):
            fn, args = calls[i]
            start = clock()
            try:
                if fn(*args) is None and is_lookup[i]:
                    outcomes[i] = not_found
            except AdapterError as exc:
                outcomes[i] = int(_OUTCOME_OF_KIND[exc.kind])
                if exc.kind is ErrorKind.FATAL:
                    state.fatal_error = str(exc)
                    failed = True
            end = clock()
            starts[i] = start
            ends[i] = end
            # Checked per operation: with slow operations a chunk can last minutes, and
            # Ctrl-C must not wait for it.
            if failed or end >= deadline or state.stop_requested:
                done = i + 1
                break
        end_array = np.array(ends[:done], dtype=np.int64)
        recorder.add_chunk(
            np.array(op_indexes[:done], dtype=np.uint8),
            end_array,
            end_array - np.array(starts[:done], dtype=np.int64),
            np.array(outcomes[:done], dtype=np.uint8),
        )
        state.completed += done
        if remaining > 0:
            remaining -= done
        if failed or done < n:
            stream.unissue(op_indexes[done:])
            return


def arrival_offsets(
    n: int, rate: float, arrival: str, rng: np.random.Generator, first_ns: float
) -> tuple[list[int], float]:
    """Intended start offsets (ns from the phase start) of the next `n` operations of one
    worker sending at `rate` ops/s, and the offset after the last one.

    Constant arrivals are evenly spaced; Poisson arrivals have exponential gaps of the
    same mean, which is what a large population of independent users produces.
    """
    gap_ns = 1e9 / rate
    gaps = rng.exponential(gap_ns, size=n) if arrival == "poisson" else np.full(n, gap_ns)
    ends = first_ns + np.cumsum(gaps)
    starts = np.concatenate(([first_ns], ends[:-1]))
    return _ints(starts.astype(np.int64)), float(ends[-1]) if n else first_ns


@dataclass
class OpenLoopSchedule:
    rate: float
    """Target operations per second of this worker."""
    arrival: str
    """"constant" or "poisson"."""
    rng: np.random.Generator
    next_offset_ns: float = 0.0
    late: int = 0
    """Operations that started after their intended time (behind schedule)."""


def run_open_loop(  # noqa: PLR0915 - the timed loop stays in one frame, on purpose
    adapter: Adapter,
    stream: OperationStream,
    recorder: Recorder,
    state: WorkerState,
    schedule: OpenLoopSchedule,
    *,
    start_ns: int,
    operations: int | None,
    deadline_ns: int | None,
) -> None:
    """Issue operations at their intended start times (a target rate).

    Each operation has an intended start on a schedule fixed in advance. When the engine
    keeps up, the worker sleeps until the next intended start. When it falls behind, the
    worker never skips or re-spaces operations: it issues the overdue ones back to back
    until it has caught up with the schedule, and every one of them is charged the time
    since its intended start (response time). That way a stall shows up in the latencies
    of all the requests it delayed, not just the one that was in flight (coordinated
    omission). Service time (from the actual start) is recorded beside it.

    A duration-bound phase ends at the deadline even with a backlog; the backlog (intended
    starts not yet issued) is reported by the caller from `schedule` and the counts.
    """
    lookup = stream.lookup_flags()
    clock = time.perf_counter_ns
    sleep = time.sleep
    remaining = operations if operations is not None else -1
    ends = [0] * CHUNK
    services = [0] * CHUNK
    responses = [0] * CHUNK
    outcomes = [0] * CHUNK
    ok, not_found = int(Outcome.OK), int(Outcome.NOT_FOUND)
    # Sleeping is coarse: wake up this early and spin for the rest.
    spin_ns = 200_000
    while remaining != 0 and not state.stop_requested:
        n = CHUNK if remaining < 0 else min(CHUNK, remaining)
        op_indexes, calls = stream.next_chunk(adapter, n)
        offsets, schedule.next_offset_ns = arrival_offsets(
            n, schedule.rate, schedule.arrival, schedule.rng, schedule.next_offset_ns
        )
        done = 0
        late = 0
        for i in range(n):
            intended = start_ns + offsets[i]
            if deadline_ns is not None and intended >= deadline_ns:
                break
            now = clock()
            if now < intended:
                wait = intended - now
                if wait > spin_ns:
                    sleep((wait - spin_ns) / 1e9)
                while clock() < intended:
                    pass
            else:
                late += 1
            fn, args = calls[i]
            start = clock()
            try:
                result = fn(*args)
                outcome = not_found if result is None and lookup[op_indexes[i]] else ok
            except AdapterError as exc:
                outcome = int(_OUTCOME_OF_KIND[exc.kind])
                if exc.kind is ErrorKind.FATAL:
                    state.fatal_error = str(exc)
            end = clock()
            ends[i] = end
            services[i] = end - start
            responses[i] = end - intended
            outcomes[i] = outcome
            done = i + 1
            if (
                state.fatal_error is not None
                or (deadline_ns is not None and end >= deadline_ns)
                or state.stop_requested
            ):
                break
        schedule.late += late
        recorder.add_chunk(
            np.array(op_indexes[:done], dtype=np.uint8),
            np.array(ends[:done], dtype=np.int64),
            np.array(services[:done], dtype=np.int64),
            np.array(outcomes[:done], dtype=np.uint8),
            np.array(responses[:done], dtype=np.int64),
        )
        state.completed += done
        if remaining > 0:
            remaining -= done
        if state.fatal_error is not None or done < n:
            stream.unissue(op_indexes[done:])
            return


def load_records(
    adapter: Adapter,
    workload: Workload,
    first: int,
    count: int,
    recorder: Recorder,
    state: WorkerState,
    *,
    batch_size: int,
    worker: int,
) -> None:
    """Insert records number ``first .. first+count-1`` (the load phase).

    With BATCH_INSERT each batch is one timed call, recorded as ``insert_batch``; without,
    each record is one ``insert``. Operation index 0 is whichever of the two applies.
    """
    values = ValuePool(workload.fields.length, worker_rng(workload.seed, worker, "load"))
    names = workload.fields.names()
    batched = isinstance(adapter, BatchInsert) and batch_size > 1
    step = batch_size if batched else CHUNK
    clock = time.perf_counter_ns
    table = workload.table
    for offset in range(first, first + count, step):
        if state.stop_requested:
            return
        n = min(step, first + count - offset)
        numbers = np.arange(offset, offset + n, dtype=np.int64)
        keys = key_names(numbers, prefix=workload.key_prefix, insert_order=workload.insert_order)
        rows = [(key, values.record(names)) for key in keys]
        if batched:
            timings = [_timed(clock, state, adapter.insert_batch, table, rows)]  # type: ignore[attr-defined]
        else:
            timings = [_timed(clock, state, adapter.insert, table, key, rec) for key, rec in rows]
        recorder.add_chunk(
            np.zeros(len(timings), dtype=np.uint8),
            np.array([t[0] for t in timings], dtype=np.int64),
            np.array([t[1] for t in timings], dtype=np.int64),
            np.array([t[2] for t in timings], dtype=np.uint8),
        )
        state.completed += n
        if state.fatal_error is not None:
            return


def _timed(
    clock: Callable[[], int], state: WorkerState, fn: Callable[..., Any], *args: Any
) -> tuple[int, int, int]:
    start = clock()
    try:
        fn(*args)
        outcome = int(Outcome.OK)
    except AdapterError as exc:
        outcome = int(_OUTCOME_OF_KIND[exc.kind])
        if exc.kind is ErrorKind.FATAL:
            state.fatal_error = str(exc)
    end = clock()
    return end, end - start, outcome
