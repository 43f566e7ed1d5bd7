"""Worker processes for a report's two costly steps, decoding and bootstrap intervals."""

from __future__ import annotations

import math
import multiprocessing
import os
import pickle
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

import numpy as np

_T = TypeVar("_T")
_R = TypeVar("_R")

_PARALLEL_ROWS = 20_000
"""Interval rows below which starting worker processes (~0.5 s) costs more than it saves."""
_MAX_WORKERS = 4


def worker_count(rows: int, runs: int) -> int:
    """How many processes should decode `rows` interval rows of `runs` runs: one per
    usable idle core, at most four, and only when there is enough to repay starting them."""
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
    return max(1, min(cores, _MAX_WORKERS, runs, math.ceil(idle - 0.25)))


class Workers:
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

    def __enter__(self) -> Workers:
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
