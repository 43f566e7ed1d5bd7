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

Each connection's closed loop is a generator that sends a request and yields until its
socket is readable: its state lives in the generator's locals, so resuming it per reply
costs less than the attribute traffic of a loop over connection objects. The wait is
`select.epoll` itself (`selectors` adds a Python layer per wake-up), `select.poll` where
there is no epoll.
"""

from __future__ import annotations

import contextlib
import os
import select
import time
from collections.abc import Callable, Generator, Sequence
from typing import cast

from bakeoff.adapters.errors import AdapterError, ErrorKind
from bakeoff.adapters.protocol import PENDING, Adapter, SplitPhase
from bakeoff.harness.chunk_collection import ChunkCollection
from bakeoff.harness.loadgen import (
    LOOP_CLOCK,
    OUTCOME_OF_KIND,
    ConnectionState,
    loop_deadline,
    record_chunk,
)
from bakeoff.harness.operation_stream import (
    GROWN_CHUNK,
    Stream,
    ints,
    next_chunk_size,
)
from bakeoff.harness.recorder import Outcome, Recorder

_CLEARED = bytes(GROWN_CHUNK)
_POLL_S = 0.05
"""Longest wait without a reply: how often a stop request or the deadline is checked."""

_Loop = Generator[int | None, None, None]
"""A connection's closed loop: yields while its request is in flight, the socket's
descriptor when it is new (the first request, or a reconnection after an error)."""


def run_split_phase_closed_loop(
    adapters: Sequence[Adapter],
    streams: Sequence[Stream],
    recorders: Sequence[Recorder],
    states: Sequence[ConnectionState],
    *,
    operations: Sequence[int | None],
    deadline_ns: int | None,
    spin_ns: int = 0,
) -> None:
    """Run every connection's closed loop until its count, the deadline or a stop request.

    With `spin_ns`, the thread polls the sockets (without waiting) for up to that long
    before it waits on them: a CPU that runs a poll is not idle when the reply comes, so
    it is not halted and needs no wake-up (docs/load-generator.md). Between polls it
    yields the CPU to any thread that is ready to run there.

    As in the blocking loop, the operation in flight when the deadline passes completes
    and is recorded; a stop request (Ctrl-C) ends the loop at once, keeping what completed.
    """
    if not states:
        return
    deadline = loop_deadline(deadline_ns)
    # One for all the connections: cycles are collected once per chunk of any of them.
    with ChunkCollection() as collection:
        poller = _Poller()
        waiting: dict[int, _Loop] = {}
        """Socket descriptor -> the connection's loop waiting on it."""
        for adapter, stream, recorder, state, count in zip(
            adapters, streams, recorders, states, operations, strict=True
        ):
            loop = _connection_loop(
                cast("SplitPhase", adapter), stream, recorder, state, count, deadline, collection
            )
            with contextlib.suppress(StopIteration):
                fd = next(loop)
                assert fd is not None, "a connection's loop names its socket first"
                poller.register(fd)
                waiting[fd] = loop
        try:
            ready = poller.ready
            clock = time.perf_counter_ns
            give_way = os.sched_yield
            # A stop request sets every connection's flag at once (ThreadClientGroup).
            stop_flag_of = states[0]
            while waiting:
                events = ready(0) if spin_ns else None
                if spin_ns and not events:
                    spin_until = clock() + spin_ns
                    while not events and clock() < spin_until:
                        # The core stays busy, so it is not halted, but a thread that has
                        # work (the engine's, on a shared machine) gets it between polls.
                        give_way()
                        events = ready(0)
                for fd, _ in events or ready(_POLL_S):
                    loop = waiting[fd]
                    try:
                        moved = next(loop)
                    except StopIteration:
                        poller.unregister(fd)
                        del waiting[fd]
                        continue
                    if moved is not None:
                        # After an error the driver may have opened a new socket, possibly
                        # under the same number as the old one.
                        poller.unregister(fd)
                        del waiting[fd]
                        poller.register(moved)
                        waiting[moved] = loop
                if stop_flag_of.stop_requested:
                    # Replies still in flight are not waited for (the server may be stalled);
                    # those operations are not recorded and the connections are closed next.
                    break
        finally:
            for loop in waiting.values():
                loop.close()  # records what each connection completed
            poller.close()


def _connection_loop(  # noqa: PLR0912, PLR0915 - the timed loop stays in one frame
    split: SplitPhase,
    stream: Stream,
    recorder: Recorder,
    state: ConnectionState,
    count: int | None,
    deadline: float,
    collection: ChunkCollection,
) -> _Loop:
    """One connection's closed loop: send, yield until readable, receive, record.
    `deadline`, like the timestamps, is a LOOP_CLOCK reading."""
    clock = LOOP_CLOCK
    receive = split.receive
    remaining = count if count is not None else -1
    not_found = int(Outcome.NOT_FOUND)
    starts = [0.0] * GROWN_CHUNK
    ends = [0.0] * GROWN_CHUNK
    outcomes = bytearray(GROWN_CHUNK)
    size = stream.chunk
    fd: int | None = None
    while remaining != 0 and not state.stop_requested:
        n = size if remaining < 0 else min(size, remaining)
        op_indexes, calls, arguments = stream.next_chunk(split, n, split=True)
        outcomes[:n] = _CLEARED[:n]
        done = 0
        try:
            for i in range(n):
                (fn, result_if_missing), args = calls[i], arguments[i]
                starts[i] = clock()
                try:
                    fn(*args)
                    if fd is None:
                        fd = split.fileno()
                        yield fd
                    else:
                        yield None
                    result = receive()
                    while result is PENDING:
                        yield None
                        result = receive()
                    if result is result_if_missing:
                        outcomes[i] = not_found
                except AdapterError as exc:
                    outcomes[i] = int(OUTCOME_OF_KIND[exc.kind])
                    fd = None  # the driver may reconnect on another socket
                    if exc.kind is ErrorKind.FATAL:
                        state.fatal_error = str(exc)
                        ends[i] = clock()
                        done = i + 1
                        return
                end = clock()
                ends[i] = end
                done = i + 1
                if end >= deadline or state.stop_requested:
                    return
        finally:
            # Also when the loop is closed (a stop request): the operation in flight is
            # left out, and the keys of the chunk's unsent inserts are given back.
            record_chunk(recorder, op_indexes, starts, ends, outcomes, done)
            state.completed += done
            if remaining > 0:
                remaining -= done
            if done < n:
                stream.unissue(ints(op_indexes[done:]))
        if n == size:
            size = next_chunk_size(size, starts[0], ends[n - 1])
        collection.after_chunk()


class _Poller:
    """The sockets waited on, readable only: epoll, or poll where there is none."""

    def __init__(self) -> None:
        self._epoll = select.epoll() if hasattr(select, "epoll") else None
        self._poll = select.poll() if self._epoll is None else None
        self.ready: Callable[[float], list[tuple[int, int]]] = (
            self._epoll.poll if self._epoll is not None else self._poll_ready
        )
        """(descriptor, events) of the readable sockets, waiting at most a timeout in s."""

    def register(self, fd: int) -> None:
        if self._epoll is not None:
            self._epoll.register(fd, select.EPOLLIN)
        else:
            cast("select.poll", self._poll).register(fd, select.POLLIN)

    def unregister(self, fd: int) -> None:
        # A socket the driver closed has already left the set (EBADF / ENOENT).
        with contextlib.suppress(OSError, KeyError, ValueError):
            if self._epoll is not None:
                self._epoll.unregister(fd)
            else:
                cast("select.poll", self._poll).unregister(fd)

    def _poll_ready(self, timeout_s: float) -> list[tuple[int, int]]:
        return cast("select.poll", self._poll).poll(timeout_s * 1000)

    def close(self) -> None:
        if self._epoll is not None:
            self._epoll.close()
