"""The body of a worker process on a Ray node: a ThreadClientGroup driven by the driver.

Ray runs this class as an actor (`bakeoff.harness.ray_api.spawn`); each method is one
call from the driver's `RayClientGroup`. `start_phase` first waits for the phase's start
on this node's clock (the shared start barrier) and `poll` waits for the phase's end for
a while; the actor runs calls on a few threads, so a stop request is never queued
behind them.
"""

from __future__ import annotations

import contextlib
import functools
import os
import platform
import queue
import socket
import sys
import time
from typing import Any

import psutil

from bakeoff.adapters.protocol import TableSpec
from bakeoff.core.measures import IntervalRow
from bakeoff.core.schema import Schema
from bakeoff.harness import ray_api
from bakeoff.harness.clients import PhaseCommand, PhaseResult, ThreadClientGroup, usable_cores
from bakeoff.harness.recorder import Recorder


class StreamingRecorder(Recorder):
    """A recorder that, on its connection's thread, hands every interval it has moved
    past to `outbox` as rows, so that a node lost later still leaves them behind. The
    phase's final rows, not these, are what is merged when the worker finishes."""

    def __init__(self, *args: Any, outbox: queue.SimpleQueue[IntervalRow], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._outbox = outbox
        self._handed_below = 0

    def add_chunk(self, *args: Any, **kw: Any) -> None:
        super().add_chunk(*args, **kw)
        newest = self.newest_interval
        if newest > self._handed_below:
            for row in self.rows(time.perf_counter_ns()):
                if self._handed_below <= row.interval < newest:
                    self._outbox.put(row)
            self._handed_below = newest


class ClientActor:
    def __init__(self, group_args: dict[str, Any], ray_version: str) -> None:
        self._outbox: queue.SimpleQueue[IntervalRow] = queue.SimpleQueue()
        recorder = functools.partial(StreamingRecorder, outbox=self._outbox)
        self._group = ThreadClientGroup(**group_args, recorder=recorder)
        self._ray_version = ray_version
        # Ray starts its workers at niceness 15 (RAY_worker_niceness), behind everything
        # else on the node; a load generator that yields to other processes measures
        # them. Lowering it needs privileges: the node report shows what it stayed at.
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, 0, 0)

    def clock(self) -> int:
        """This node's monotonic clock (the driver measures its offset from round trips)."""
        return time.perf_counter_ns()

    def node(self) -> dict[str, object]:
        """What the manifest records of the node this worker runs on."""
        return {
            "node_id": ray_api.current_node_id(),
            "host": socket.gethostname(),
            "cores": usable_cores(),
            "memory_bytes": psutil.virtual_memory().total,
            "python": platform.python_version(),
            "ray": self._ray_version,
            "platform": sys.platform,
            "niceness": os.getpriority(os.PRIO_PROCESS, 0),
        }

    def connect(self) -> None:
        self._group.connect()

    def setup(self, table: TableSpec | Schema) -> None:
        self._group.setup(table)

    def start_phase(self, command: PhaseCommand) -> None:
        """Start when this node's clock reaches the phase's start (already translated)."""
        wait_s = (command.start_ns - time.perf_counter_ns()) / 1e9
        if wait_s > 0:
            time.sleep(wait_s)
        self._group.start_phase(command)

    def poll(self, wait_s: float) -> tuple[int, PhaseResult | None, list[IntervalRow]]:
        """Operations completed so far, the phase's result once it has ended, and the
        intervals handed over since the last poll: a long poll that answers when the
        phase ends or after `wait_s`, so progress costs a few calls a second."""
        result = self._group.wait(wait_s)
        handed: list[IntervalRow] = []
        while not self._outbox.empty():
            handed.append(self._outbox.get_nowait())
        return self._group.completed(), result, handed

    def request_stop(self) -> None:
        self._group.request_stop()

    def close(self) -> None:
        self._group.close()
