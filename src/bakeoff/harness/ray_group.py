"""A client group whose worker process is a Ray actor on some node of a cluster.

The driver's view of one `ClientActor`: every call is a Ray call, and every time it
sends is first translated to the node's own monotonic clock by the offset measured
for that node (`bakeoff.harness.clock_offset`), so intervals on every node line up
with the driver's. Progress is learnt from the polls that also collect the result.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, replace

from bakeoff.adapters.protocol import TableSpec
from bakeoff.core.measures import IntervalRow, Phase
from bakeoff.core.schema import Schema
from bakeoff.harness import ray_api
from bakeoff.harness.clients import PhaseCommand, PhaseResult, WorkerLostError
from bakeoff.harness.clock_offset import ClockOffset

_CLOSE_S = 3.0
_LONG_POLL_S = 1.0
"""How long a worker holds a progress poll open before it answers anyway: each poll
costs CPU on the worker's node and the driver's, taken from the load generator."""
_WARMUP_POLL_S = 0.25
"""A warm-up may end on a rule that rates throughput in 1 s steps from the progress
counts (bakeoff.harness.steady_state): it needs them more often."""


@dataclass(frozen=True)
class WorkerPlace:
    """Where one worker runs: its node, as the node describes itself, and its clock."""

    slot: int
    node_id: str
    node: dict[str, object]
    clock: ClockOffset

    @property
    def name(self) -> str:
        return f"node {self.node.get('host', '?')} ({self.node_id[:12]})"


class RayClientGroup:
    """Connections as threads of a Ray actor."""

    def __init__(self, actor: ray_api.Actor, connections: list[int], place: WorkerPlace) -> None:
        self.connections = connections
        self.place = place
        self._actor = actor
        self._started: ray_api.Pending | None = None
        self._poll: ray_api.Pending | None = None
        self._completed = 0
        self._pending = False
        self._poll_s = _LONG_POLL_S
        self.lost = False
        """The worker was lost (its node left the cluster, or its process died)."""
        self._phase: PhaseCommand | None = None
        self._handed: list[IntervalRow] = []
        """The intervals of the phase the worker has handed over so far: all that is
        left of its measurements if it is lost before the phase ends."""

    def _get(self, pending: ray_api.Pending, timeout_s: float | None = None) -> object:
        try:
            return ray_api.get(pending, timeout_s)
        except WorkerLostError as exc:
            self.lost = True
            phase = self._phase
            kept = None
            if phase is not None and self._handed:
                rows = [row for row in self._handed if row.phase is phase.phase]
                wall_s = (time.perf_counter_ns() - phase.start_ns) / 1e9
                kept = PhaseResult(rows=rows, cpu_s=0.0, wall_s=wall_s, completed=self._completed)
            raise WorkerLostError(f"{self.place.name}: {exc}", kept) from exc

    def connect(self) -> None:
        self._get(self._actor.call("connect"))

    def setup(self, table: TableSpec | Schema) -> None:
        self._get(self._actor.call("setup", table))

    def start_phase(self, command: PhaseCommand) -> None:
        clock, deadline = self.place.clock, command.deadline_ns
        on_node = replace(
            command,
            start_ns=clock.to_remote(command.start_ns),
            deadline_ns=None if deadline is None else clock.to_remote(deadline),
        )
        self._completed = 0
        self._poll = None
        self._poll_s = _WARMUP_POLL_S if command.phase is Phase.WARMUP else _LONG_POLL_S
        self._phase, self._handed = command, []
        self._started = self._actor.call("start_phase", on_node)
        self._pending = True

    def completed(self) -> int:
        return self._completed

    def request_stop(self) -> None:
        self._actor.call("request_stop")

    def wait(self, timeout: float) -> PhaseResult | None:
        if not self._pending:
            return None
        if self._started is not None:
            if not ray_api.ready(self._started, timeout):
                return None
            started, self._started = self._started, None
            self._get(started)  # a phase that could not start raises here
        if self._poll is None:
            self._poll = self._actor.call("poll", self._poll_s)
        if not ray_api.ready(self._poll, timeout):
            return None
        poll, self._poll = self._poll, None
        answer = self._get(poll)
        assert isinstance(answer, tuple)
        completed, result, handed = answer
        self._completed = int(completed)
        self._handed.extend(handed)
        if result is None:
            return None
        assert isinstance(result, PhaseResult)
        self._pending = False
        return result

    def close(self) -> None:
        # A worker stuck in a driver call is not waited for: killing it ends its process.
        with contextlib.suppress(Exception):
            ray_api.get(self._actor.call("close"), _CLOSE_S)
        self._actor.kill()
