"""Closed-loop load generation: one connection = one adapter + one operation stream + one recorder.

The per-operation path is kept to a dispatch, two clock reads, two list stores and one
comparison. Everything else happens per chunk, outside the timed region: keys, values,
field choices and scan lengths are generated in bulk with numpy, and the latencies of a
chunk (or of a few quick ones) are folded into the recorder's histograms in one call.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from bakeoff.adapters.errors import AdapterError, ErrorKind
from bakeoff.adapters.protocol import Adapter, BatchInsert
from bakeoff.harness.chunk_collection import ChunkCollection
from bakeoff.harness.operation_stream import (
    CHUNK,
    GROWN_CHUNK,
    QUICK_CHUNK_S,
    Stream,
    ints,
    next_chunk_size,
)
from bakeoff.harness.recorder import Outcome, Recorder
from bakeoff.workloads.generators import connection_rng
from bakeoff.workloads.keys import key_names
from bakeoff.workloads.model import Workload
from bakeoff.workloads.values import ValuePool

Codes = bytearray | npt.NDArray[np.uint8]
"""One byte per operation: operation indexes or outcome codes."""
RECORDED_AT_ONCE = 4 * GROWN_CHUNK
"""Operations of quick chunks a closed loop hands its recorder at once."""
STOP_POLL_S = 0.001
"""How often at most a closed loop looks at its stop flag between operations (the
deadline is compared after every operation)."""
LOOP_CLOCK = time.perf_counter
"""What the closed loops time operations with: the clock of `time.perf_counter_ns`
(CLOCK_MONOTONIC), in float seconds. A read costs less than perf_counter_ns's, whose
integer the loop would allocate twice per operation (the no-op figure, docs/
load-generator.md). `record_chunk` turns the readings back into integer nanoseconds:
exact for 26 days after boot (2**51 ns), then within 1 ns until day 104 and 3 ns a year
after boot, as a double holds fewer of the digits."""


def loop_deadline(deadline_ns: int | None) -> float:
    """A phase's deadline (perf_counter_ns) as the LOOP_CLOCK reading it is compared with;
    none: never."""
    return deadline_ns / 1e9 if deadline_ns is not None else math.inf


OUTCOME_OF_KIND = {
    ErrorKind.TRANSIENT: Outcome.TRANSIENT,
    ErrorKind.FATAL: Outcome.FATAL,
    ErrorKind.UNSUPPORTED: Outcome.UNSUPPORTED,
}


def split_evenly(total: int, parts: int) -> list[int]:
    """`total` split into `parts` integers differing by at most one."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


@dataclass
class ConnectionState:
    """What the main thread may read while a connection runs (progress, failure)."""

    completed: int = 0
    stop_requested: bool = False
    fatal_error: str | None = None


def run_closed_loop(  # noqa: PLR0912, PLR0915 - the timed loop stays in one frame, on purpose
    adapter: Adapter,
    stream: Stream,
    recorder: Recorder,
    state: ConnectionState,
    *,
    operations: int | None,
    deadline_ns: int | None,
) -> None:
    """Issue operations back to back until the count or the deadline is reached.

    Closed loop: each operation starts when the previous one completes, so the recorder
    measures service time only (a stalled engine delays the requests that would have been
    sent meanwhile, and they never appear: that is what closed-loop results are).
    """
    clock = LOOP_CLOCK
    remaining = operations if operations is not None else -1
    deadline = loop_deadline(deadline_ns)
    # Quick chunks are recorded a few at a time: recording costs mostly per call.
    per_chunk = recorder.per_chunk
    capacity = GROWN_CHUNK if per_chunk else RECORDED_AT_ONCE
    starts = [0.0] * capacity
    ends = [0.0] * capacity
    outcomes = bytearray(capacity)
    ops = bytearray(capacity)
    cleared = bytes(GROWN_CHUNK)
    kept = 0
    size = stream.chunk
    not_found = int(Outcome.NOT_FOUND)
    with ChunkCollection() as collection:
        try:
            # The loop body is the measured path: locals only, one store per timestamp,
            # outcome slots written only when not OK, one comparison to decide whether to
            # look at the deadline, a failure or the stop flag, the latency subtraction
            # done later in numpy.
            while remaining != 0 and not state.stop_requested:
                n = size if remaining < 0 else min(size, remaining)
                if kept + n > capacity:
                    record_chunk(recorder, ops, starts, ends, outcomes, kept)
                    kept = 0
                op_indexes, calls, arguments = stream.next_chunk(adapter, n)
                first = kept
                ops[first : first + n] = op_indexes.data
                outcomes[first : first + n] = cleared[:n]
                failed = False
                check_at = 0.0  # the chunk's first operation looks
                i = first
                # Not zip(strict=True): the lists hold one entry per operation by
                # construction, and the check would cost time on the measured path.
                for (fn, result_if_missing), args in zip(calls, arguments):  # noqa: B905
                    start = clock()
                    try:
                        if fn(*args) is result_if_missing:
                            outcomes[i] = not_found
                    except AdapterError as exc:
                        outcomes[i] = int(OUTCOME_OF_KIND[exc.kind])
                        if exc.kind is ErrorKind.FATAL:
                            state.fatal_error = str(exc)
                            failed = True
                            check_at = 0.0
                    end = clock()
                    starts[i] = start
                    ends[i] = end
                    i += 1
                    if end >= check_at:
                        # Looked at after every operation slower than STOP_POLL_S: with slow
                        # operations a chunk can last minutes, and Ctrl-C must not wait for it.
                        if failed or end >= deadline or state.stop_requested:
                            break
                        check_at = min(deadline, end + STOP_POLL_S)
                kept = i
                done = i - first
                state.completed += done
                if remaining > 0:
                    remaining -= done
                if failed or done < n:
                    stream.unissue(ints(op_indexes[done:]))
                    return
                if n == size:
                    size = next_chunk_size(size, starts[first], ends[i - 1])
                if per_chunk or ends[i - 1] - starts[first] >= QUICK_CHUNK_S:
                    record_chunk(recorder, ops, starts, ends, outcomes, kept)
                    kept = 0
                # Freed before the next chunk is drawn, which then reuses the memory (and the
                # caches) these calls held, rather than drawing into new memory beside them.
                del calls, arguments
                collection.after_chunk()
        finally:
            record_chunk(recorder, ops, starts, ends, outcomes, kept)


def record_chunk(
    recorder: Recorder,
    op_indexes: Codes,
    starts: list[float],
    ends: list[float],
    outcomes: Codes,
    done: int,
) -> None:
    """Hand the first `done` operations of a chunk to the recorder. Their start and end
    times are `LOOP_CLOCK` readings, turned into nanoseconds and subtracted in numpy, off
    the timed loop. Operation indexes and outcome codes are bytes (a bytearray or a uint8
    array): numpy reads them without a conversion each."""
    if done == 0:
        return
    end_ns = _nanoseconds(ends, done)
    recorder.add_chunk(
        np.frombuffer(op_indexes, dtype=np.uint8, count=done).copy(),
        end_ns,
        end_ns - _nanoseconds(starts, done),
        np.frombuffer(outcomes, dtype=np.uint8, count=done).copy(),
    )


def _nanoseconds(readings: list[float], count: int) -> npt.NDArray[np.int64]:
    """The first `count` LOOP_CLOCK readings in integer nanoseconds."""
    seconds = np.fromiter(readings, dtype=np.float64, count=count)
    seconds *= 1e9
    return np.rint(seconds, out=seconds).astype(np.int64)


def arrival_offsets(
    n: int, rate: float, arrival: str, rng: np.random.Generator, first_ns: float
) -> tuple[list[int], float]:
    """Intended start offsets (ns from the phase start) of the next `n` operations of one
    connection sending at `rate` ops/s, and the offset after the last one.

    Constant arrivals are evenly spaced; Poisson arrivals have exponential gaps of the
    same mean, which is what a large population of independent users produces.
    """
    gap_ns = 1e9 / rate
    gaps = rng.exponential(gap_ns, size=n) if arrival == "poisson" else np.full(n, gap_ns)
    ends = first_ns + np.cumsum(gaps)
    starts = np.concatenate(([first_ns], ends[:-1]))
    return ints(starts.astype(np.int64)), float(ends[-1]) if n else first_ns


def first_arrival_ns(connection: int, connections: int, rate: float, arrival: str) -> float:
    """Offset of a connection's first intended start: constant arrivals of the N
    connections interleave (connection w starts w/N of its gap late), so together they
    arrive evenly at the total rate, never N at once. Poisson arrivals need no offset."""
    return connection % connections * 1e9 / rate / connections if arrival == "constant" else 0.0


@dataclass
class OpenLoopSchedule:
    rate: float
    """Target operations per second of this connection."""
    arrival: str
    """"constant" or "poisson"."""
    rng: np.random.Generator
    next_offset_ns: float = 0.0
    late: int = 0
    """Operations that started after their intended time (behind schedule)."""


def run_open_loop(  # noqa: PLR0915 - the timed loop stays in one frame, on purpose
    adapter: Adapter,
    stream: Stream,
    recorder: Recorder,
    state: ConnectionState,
    schedule: OpenLoopSchedule,
    *,
    start_ns: int,
    operations: int | None,
    deadline_ns: int | None,
) -> None:
    """Issue operations at their intended start times (a target rate).

    Each operation has an intended start on a schedule fixed in advance. When the engine
    keeps up, the connection sleeps until the next intended start. When it falls behind, the
    connection never skips or re-spaces operations: it issues the overdue ones back to back
    until it has caught up with the schedule, and every one of them is charged the time
    since its intended start (response time). That way a stall shows up in the latencies
    of all the requests it delayed, not just the one that was in flight (coordinated
    omission). Service time (from the actual start) is recorded beside it.

    A duration-bound phase ends at the deadline even with a backlog; the backlog (intended
    starts not yet issued) is reported by the caller from `schedule` and the counts.
    """
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
    with ChunkCollection() as collection:
        while remaining != 0 and not state.stop_requested:
            n = stream.chunk if remaining < 0 else min(stream.chunk, remaining)
            op_indexes, calls, arguments = stream.next_chunk(adapter, n)
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
                (fn, result_if_missing), args = calls[i], arguments[i]
                start = clock()
                try:
                    result = fn(*args)
                    outcome = not_found if result is result_if_missing else ok
                except AdapterError as exc:
                    outcome = int(OUTCOME_OF_KIND[exc.kind])
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
                op_indexes[:done],
                np.array(ends[:done], dtype=np.int64),
                np.array(services[:done], dtype=np.int64),
                np.array(outcomes[:done], dtype=np.uint8),
                np.array(responses[:done], dtype=np.int64),
            )
            state.completed += done
            if remaining > 0:
                remaining -= done
            if state.fatal_error is not None or done < n:
                stream.unissue(ints(op_indexes[done:]))
                return
            collection.after_chunk()


def load_records(
    adapter: Adapter,
    workload: Workload,
    first: int,
    count: int,
    recorder: Recorder,
    state: ConnectionState,
    *,
    batch_size: int,
    connection: int,
) -> None:
    """Insert records number ``first .. first+count-1`` (the load phase).

    With BATCH_INSERT each batch is one timed call, recorded as ``insert_batch``; without,
    each record is one ``insert``. Operation index 0 is whichever of the two applies.
    """
    values = ValuePool(workload.fields.length, connection_rng(workload.seed, connection, "load"))
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
            timings = [timed_call(clock, state, adapter.insert_batch, table, rows)]  # type: ignore[attr-defined]
        else:
            timings = [
                timed_call(clock, state, adapter.insert, table, key, rec) for key, rec in rows
            ]
        recorder.add_chunk(
            np.zeros(len(timings), dtype=np.uint8),
            np.array([t[0] for t in timings], dtype=np.int64),
            np.array([t[1] for t in timings], dtype=np.int64),
            np.array([t[2] for t in timings], dtype=np.uint8),
        )
        state.completed += n
        if state.fatal_error is not None:
            return


def timed_call(
    clock: Callable[[], int], state: ConnectionState, fn: Callable[..., Any], *args: Any
) -> tuple[int, int, int]:
    start = clock()
    try:
        fn(*args)
        outcome = int(Outcome.OK)
    except AdapterError as exc:
        outcome = int(OUTCOME_OF_KIND[exc.kind])
        if exc.kind is ErrorKind.FATAL:
            state.fatal_error = str(exc)
    end = clock()
    return end, end - start, outcome
