"""Python's cycle collector run between chunks, never started by a timed call.

Left automatic, the collector runs after every 700 or so new container objects: in the
middle of whichever operation happens to allocate then, so that operation's latency
carries the pause (tens of microseconds, more as the heap grows), and it runs several
times per chunk, each time walking the chunk's live calls. While a load generator's loops
run, automatic collection is off; each loop collects the young generation when it has
recorded a chunk, the middle one every `MIDDLE_EVERY` chunks and the oldest every
`OLDEST_EVERY`. Objects that existed before the first loop started are frozen out of
the collector's reach meanwhile (`gc.freeze`), so the oldest generation holds only what
the run made since, and collecting it stays cheap. Reference counting still frees
everything else at once; only cyclic garbage waits for a chunk's end.

The collector's state is the process's: loops running on several threads share one
switch, taken by the first loop to start and given back by the last one to end. A
collection at one connection's chunk end still delays what other connections of the
process have in flight (the split-phase loop's other sockets, other threads' calls), as
any work of that process does; it no longer lands in the call that happened to allocate.
"""

from __future__ import annotations

import gc
import threading
from types import TracebackType

MIDDLE_EVERY = 10
OLDEST_EVERY = 100
"""In chunks, as CPython's own thresholds space them in collections (10 of one
generation before one of the next); the oldest one is cheap while the heap is frozen."""


class _Switch:
    """The process's collector, off while any loop runs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loops = 0
        self._was_enabled = False

    def take(self) -> None:
        with self._lock:
            if self._loops == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
                gc.freeze()
            self._loops += 1

    def give_back(self) -> None:
        with self._lock:
            self._loops -= 1
            if self._loops == 0:
                gc.unfreeze()
                if self._was_enabled:
                    gc.enable()


_SWITCH = _Switch()


class ChunkCollection:
    """One loop's share of the collector: a context manager around the loop, and
    `after_chunk` once per recorded chunk."""

    def __init__(self) -> None:
        self._chunks = 0

    def __enter__(self) -> ChunkCollection:
        _SWITCH.take()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _SWITCH.give_back()

    def after_chunk(self) -> None:
        self._chunks += 1
        chunks = self._chunks
        if chunks % OLDEST_EVERY == 0:
            gc.collect(2)
        elif chunks % MIDDLE_EVERY == 0:
            gc.collect(1)
        else:
            gc.collect(0)
