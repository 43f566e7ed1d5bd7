"""Closed-loop load generation: one worker = one adapter (one connection) + one recorder.

The per-operation path is kept to a dispatch, two clock reads and four list stores.
Everything else happens per chunk, outside the timed region: keys, values, field choices
and scan lengths are generated in bulk with numpy, and the chunk's latencies are folded
into the recorder's histograms in one vectorised call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any, Protocol, cast

import numpy as np
import numpy.typing as npt

from bakeoff.adapters.errors import AdapterError, ErrorKind
from bakeoff.adapters.protocol import Adapter, BatchInsert
from bakeoff.core.operations import BY_NAME, Argument, OperationDefinition
from bakeoff.harness.recorder import Outcome, Recorder
from bakeoff.workloads.generators import OperationChooser, worker_rng
from bakeoff.workloads.keys import key_names, make_key_chooser
from bakeoff.workloads.lengths import make_length_chooser
from bakeoff.workloads.model import Workload
from bakeoff.workloads.values import ValuePool

CHUNK = 512
_NEVER = 2**63 - 1
"""Operations generated and recorded together (small enough that a duration-bound run
stops on time, large enough that per-chunk work is amortised)."""

_OUTCOME_OF_KIND = {
    ErrorKind.TRANSIENT: Outcome.TRANSIENT,
    ErrorKind.FATAL: Outcome.FATAL,
    ErrorKind.UNSUPPORTED: Outcome.UNSUPPORTED,
}

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
    operations: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        w = self.workload
        mix = w.operations.proportions()
        new_key_share = sum(
            share for name, share in mix.items() if Argument.NEW_KEY in BY_NAME[name].arguments
        )
        expected_inserts = int(self.expected_operations * new_key_share * 2) + 1

        def rng(stream: str) -> np.random.Generator:
            return worker_rng(w.seed, self.worker, stream)

        self._ops = OperationChooser(w.operations, rng("operations"))
        self.operations = self._ops.operations
        self._definitions = tuple(BY_NAME[name] for name in self.operations)
        self._new_key_indexes = frozenset(
            k for k, op in enumerate(self._definitions) if Argument.NEW_KEY in op.arguments
        )
        self._layouts = [step_positions(op) if op.steps else None for op in self._definitions]
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
        self._arguments: dict[Argument, _ArgumentColumn] = {
            Argument.KEY: _keys_at,
            Argument.NEW_KEY: _keys_at,
            Argument.READ_FIELDS: self._read_fields,
            Argument.WRITE_VALUES: self._write_values,
            Argument.RECORD: self._records,
            Argument.SCAN_LENGTH: self._lengths,
        }

    def next_chunk(
        self, adapter: Adapter, n: int, *, split: bool = False
    ) -> tuple[list[int], list[Call]]:
        """`n` operations as (operation indexes, bound calls).

        With `split`, the calls are the adapter's `send_*` halves (SplitPhase), whose
        replies the caller collects with `receive`.

        Built per operation type, one argument column at a time over that type's positions:
        a per-operation if-chain here cost more than the no-op operation it prepares.
        """
        w = self.workload
        op_array = self._ops.choose(n)
        op_indexes = _ints(op_array)
        upper = w.records + self.inserted
        chosen = self._keys.choose(n, upper)
        positions = [np.flatnonzero(op_array == k) for k in range(len(self.operations))]
        for k in sorted(self._new_key_indexes):
            at_new = positions[k]
            chosen[at_new] = np.arange(upper, upper + at_new.size, dtype=np.int64)
            upper += int(at_new.size)
            self.inserted += int(at_new.size)
        numbers = worker_key_number(chosen, w.records, self.worker, self.workers)
        keys = key_names(numbers, prefix=w.key_prefix, insert_order=w.insert_order)
        one_field = self._field_choice.integers(0, len(self._field_names), size=n)
        table = w.table
        calls: list[Call] = [_NOTHING] * n
        methods = [
            split_method(adapter, op) if split else blocking_method(adapter, op)
            for op in self._definitions
        ]
        arguments = self._arguments
        for op, method, layout, where in zip(
            self._definitions, methods, self._layouts, positions, strict=True
        ):
            if where.size:
                at = _ints(where)
                field_choice = one_field[where]
                columns = [arguments[kind](at, keys, field_choice) for kind in op.arguments]
                rows = _argument_rows(table, columns, layout)
                for i, args in zip(at, rows, strict=True):
                    calls[i] = (method, args)
        return op_indexes, calls

    def _read_fields(
        self, at: list[int], keys: list[str], field_indexes: npt.NDArray[Any]
    ) -> list[tuple[str, ...] | None]:
        if self.workload.read_all_fields:
            return [None] * len(at)
        names = self._field_names
        return [(names[f],) for f in _ints(field_indexes)]

    def _write_values(
        self, at: list[int], keys: list[str], field_indexes: npt.NDArray[Any]
    ) -> list[dict[str, str]]:
        if self.workload.write_all_fields:
            return self._records(at, keys, field_indexes)
        names = self._field_names
        payloads = self._values.values(len(at))
        return [{names[f]: v} for f, v in zip(_ints(field_indexes), payloads, strict=True)]

    def _records(
        self, at: list[int], keys: list[str], field_indexes: npt.NDArray[Any]
    ) -> list[dict[str, str]]:
        pool, names = self._values, self._field_names
        return [pool.record(names) for _ in at]

    def _lengths(
        self, at: list[int], keys: list[str], field_indexes: npt.NDArray[Any]
    ) -> list[int]:
        return _ints(self._scan_lengths.choose(len(at)))

    def unissue(self, op_indexes: Sequence[int]) -> None:
        """Give back the keys of generated inserts that were never issued (the phase ended
        mid-chunk), so later phases do not read keys that were never written."""
        new_keys = self._new_key_indexes
        self.inserted -= sum(1 for i in op_indexes if i in new_keys)

    def lookup_flags(self) -> list[bool]:
        """Per operation index: does a None result mean NOT_FOUND?"""
        return [op.none_is_not_found for op in self._definitions]


class _ArgumentColumn(Protocol):
    """One argument for each position `at` of a chunk."""

    def __call__(
        self, at: list[int], keys: list[str], field_indexes: npt.NDArray[Any]
    ) -> Sequence[Any]: ...


def _argument_rows(
    table: str, columns: list[Sequence[Any]], steps: list[list[int]] | None
) -> Iterator[tuple[Any, ...]]:
    """Each operation's call arguments from the argument columns: (table, *arguments), or
    for a composite one such tuple per step."""
    if steps is None:
        return zip(repeat(table), *columns, strict=False)
    per_step = [zip(repeat(table), *(columns[p] for p in picks), strict=False) for picks in steps]
    return zip(*per_step, strict=True)


def _keys_at(at: list[int], keys: list[str], field_indexes: npt.NDArray[Any]) -> list[str]:
    return list(map(keys.__getitem__, at))


def step_positions(op: OperationDefinition) -> list[list[int]]:
    """For a composite: the positions in `op.arguments` of each step's arguments."""
    return [[op.arguments.index(kind) for kind in BY_NAME[name].arguments] for name in op.steps]


def blocking_method(adapter: Adapter, op: OperationDefinition) -> Callable[..., Any]:
    """The adapter's call for `op`.

    A composite's call takes one argument tuple per step (the stream binds them so), runs
    the steps in order and returns the first one's result, or None as soon as a not-found
    step finds nothing.
    """
    if not op.steps:
        return cast("Callable[..., Any]", getattr(adapter, op.method))
    steps = [
        (getattr(adapter, BY_NAME[name].method), BY_NAME[name].none_is_not_found)
        for name in op.steps
    ]
    composite = _two_steps(*steps) if len(steps) == 2 else _steps(steps)
    composite.__name__ = op.name
    return composite


_Step = tuple[Callable[..., Any], bool]
"""A composite's step: the adapter method, and whether its None means not found."""


def _two_steps(first: _Step, second: _Step) -> Callable[..., Any]:
    # The usual shape (read then update) without a loop: it runs per operation.
    (first_method, first_lookup), (second_method, second_lookup) = first, second

    def composite(first_args: tuple[Any, ...], second_args: tuple[Any, ...]) -> object:
        result = first_method(*first_args)
        if result is None and first_lookup:
            return None
        if second_method(*second_args) is None and second_lookup:
            return None
        return result

    return composite


def _steps(steps: list[_Step]) -> Callable[..., Any]:
    def composite(*step_args: tuple[Any, ...]) -> object:
        result: object = None
        for n, ((method, lookup), args) in enumerate(zip(steps, step_args, strict=True)):
            outcome = method(*args)
            if outcome is None and lookup:
                return None
            if n == 0:
                result = outcome
        return result

    return composite


def split_method(adapter: Adapter, op: OperationDefinition) -> Callable[..., Any]:
    """The adapter's request half for `op` (SplitPhase)."""
    if op.split_method is None:
        # The runner runs workloads with such operations on blocking connections.
        raise ValueError(f"operation {op.name!r} has no split-phase request half")
    return cast("Callable[..., Any]", getattr(adapter, op.split_method))


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
