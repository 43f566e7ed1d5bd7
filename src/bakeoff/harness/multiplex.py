"""The closed loop of many connections in one thread, for adapters with SplitPhase.

A thread per connection pays, per operation, a sleep and a wake-up in the kernel and a
hand-over of the interpreter lock. Native load generators (redis-benchmark, pgbench)
instead wait on all their sockets at once and serve every reply that has arrived per
wake-up. This loop does the same with the adapters' request and reply halves: each
connection still has exactly one operation in flight and issues its next one as soon as
its reply is in (a closed loop per connection, service time only), but one `epoll` wait
covers all of them.

Timing: an operation starts just before its request is written and ends when its reply
has been read. When several replies arrive together, the later ones in the batch are read
a few microseconds after they arrived, which the recorded time includes (as it does for
the native tools); the batch is served in the order the kernel reports it.
"""

from __future__ import annotations

import selectors
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np

from bakeoff.adapters.errors import AdapterError, ErrorKind
from bakeoff.adapters.protocol import PENDING, Adapter, SplitPhase
from bakeoff.harness.loadgen import CHUNK, NEVER, OUTCOME_OF_KIND, ConnectionState
from bakeoff.harness.operation_stream import Call, Stream
from bakeoff.harness.recorder import Outcome, Recorder

_CLEARED = [0] * CHUNK
_POLL_S = 0.05
"""Longest wait without a reply: how often a stop request or the deadline is checked."""


@dataclass
class _Connection:
    """One connection's state in the loop: its adapter, its chunk and where it is in it."""

    split: SplitPhase
    stream: Stream
    recorder: Recorder
    state: ConnectionState
    remaining: int
    missing: list[object]
    """Per operation index: the result that means not found."""
    op_indexes: list[int] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    starts: list[int] = field(default_factory=lambda: [0] * CHUNK)
    ends: list[int] = field(default_factory=lambda: [0] * CHUNK)
    outcomes: list[int] = field(default_factory=lambda: [0] * CHUNK)
    position: int = 0
    """The operation in flight (or next to send) within the chunk."""
    size: int = 0
    """Operations in the current chunk; 0 when none is loaded."""
    reconnected: bool = False
    """An error happened since the socket was registered: it may be another one now."""


def run_split_phase_closed_loop(  # noqa: PLR0912 - the timed loop stays in one frame
    adapters: Sequence[Adapter],
    streams: Sequence[Stream],
    recorders: Sequence[Recorder],
    states: Sequence[ConnectionState],
    *,
    operations: Sequence[int | None],
    deadline_ns: int | None,
) -> None:
    """Run every connection's closed loop until its count, the deadline or a stop request.

    As in the blocking loop, the operation in flight when the deadline passes completes
    and is recorded; a stop request (Ctrl-C) ends the loop at once, keeping what completed.
    """
    clock = time.perf_counter_ns
    deadline = deadline_ns if deadline_ns is not None else NEVER
    connections = [
        _Connection(
            cast("SplitPhase", adapter),
            stream,
            recorder,
            state,
            count if count is not None else -1,
            stream.not_found_results(),
        )
        for adapter, stream, recorder, state, count in zip(
            adapters, streams, recorders, states, operations, strict=True
        )
    ]
    not_found = int(Outcome.NOT_FOUND)
    with selectors.DefaultSelector() as selector:
        for conn in connections:
            if _start_next(conn, clock):
                conn.reconnected = False
                selector.register(conn.split.fileno(), selectors.EVENT_READ, conn)
        active = len(selector.get_map())
        while active:
            for key, _ in selector.select(_POLL_S):
                conn = key.data
                i = conn.position
                fatal = False
                try:
                    result = conn.split.receive()
                    if result is PENDING:
                        continue
                    if result is conn.missing[conn.op_indexes[i]]:
                        conn.outcomes[i] = not_found
                except AdapterError as exc:
                    conn.outcomes[i] = int(OUTCOME_OF_KIND[exc.kind])
                    conn.reconnected = True
                    if exc.kind is ErrorKind.FATAL:
                        conn.state.fatal_error = str(exc)
                        fatal = True
                end = clock()
                conn.ends[i] = end
                conn.position = i + 1
                if fatal or end >= deadline or conn.state.stop_requested:
                    _flush(conn, conn.position)
                    done = True
                else:
                    done = not _start_next(conn, clock)
                if done:
                    selector.unregister(key.fd)
                    active -= 1
                elif conn.reconnected:
                    # After an error a driver may have dropped its socket and opened a new
                    # one (redis-py does after a timeout), possibly under the same number.
                    conn.reconnected = False
                    selector.unregister(key.fd)
                    selector.register(conn.split.fileno(), selectors.EVENT_READ, conn)
            if any(c.state.stop_requested for c in connections):
                # Replies still in flight are not waited for (the server may be stalled);
                # those operations are not recorded and the connections are closed next.
                for key in list(selector.get_map().values()):
                    _flush(key.data, key.data.position)
                break


def _start_next(conn: _Connection, clock: Callable[[], int]) -> bool:
    """Send the connection's next operation; False when the connection is done.

    A request that fails to send is recorded with its error at once, and the next one
    follows (a fatal error ends the connection).
    """
    while True:
        if conn.position == conn.size:
            _flush(conn, conn.size)
            if not _next_chunk(conn):
                return False
        i = conn.position
        fn, args = conn.calls[i]
        conn.starts[i] = clock()
        try:
            fn(*args)
        except AdapterError as exc:
            conn.ends[i] = clock()
            conn.outcomes[i] = int(OUTCOME_OF_KIND[exc.kind])
            conn.reconnected = True
            conn.position = i + 1
            if exc.kind is ErrorKind.FATAL:
                conn.state.fatal_error = str(exc)
                _flush(conn, conn.position)
                return False
            continue
        return True


def _next_chunk(conn: _Connection) -> bool:
    if conn.remaining == 0 or conn.state.stop_requested:
        return False
    n = CHUNK if conn.remaining < 0 else min(CHUNK, conn.remaining)
    conn.op_indexes, conn.calls = conn.stream.next_chunk(cast("Adapter", conn.split), n, split=True)
    conn.outcomes[:n] = _CLEARED[:n]
    conn.position = 0
    conn.size = n
    return True


def _flush(conn: _Connection, done: int) -> None:
    """Record the chunk's first `done` operations; give back the keys of the rest."""
    if conn.size == 0:
        return
    ends = np.array(conn.ends[:done], dtype=np.int64)
    conn.recorder.add_chunk(
        np.array(conn.op_indexes[:done], dtype=np.uint8),
        ends,
        ends - np.array(conn.starts[:done], dtype=np.int64),
        np.array(conn.outcomes[:done], dtype=np.uint8),
    )
    conn.state.completed += done
    if conn.remaining > 0:
        conn.remaining -= done
    if done < conn.size:
        conn.stream.unissue(conn.op_indexes[done:])
    conn.size = conn.position = 0
