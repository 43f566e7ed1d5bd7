"""Faults on a timer, relative to the start of the measure phase, off the measured path.

A thread of its own applies each fault at its time and undoes it when its duration is
over; it records when each one actually began and ended (seconds from the phase start,
the clock of the interval rows). `stop` ends the thread and undoes whatever is still
applied, newest first, whatever ended the phase (its end, an error, Ctrl-C).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bakeoff.core.faults import FaultSpec
from bakeoff.engines.topology_nodes import RunningTopology, TopologyNode, find_node

Undo = Callable[[], None]
Apply = Callable[[FaultSpec, TopologyNode], Undo | None]
"""Applies a fault; returns its undo, or None for an action nothing undoes (promote)."""
_JOIN_S = 120.0


@dataclass
class AppliedFault:
    """One scheduled fault and what actually happened to it."""

    spec: FaultSpec
    node: TopologyNode
    started_s: float | None = None
    ended_s: float | None = None
    """When it was undone; None while applied, or for an action nothing undoes."""
    error: str | None = None
    undo: Undo | None = None

    def describe(self) -> dict[str, object]:
        return {
            **self.spec.describe(),
            "node_name": self.node.name,
            "node_role": self.node.role,
            "started_s": self.started_s,
            "ended_s": self.ended_s,
            "applied": self.started_s is not None
            and (self.error is None or self.error.startswith("undo")),
            "error": self.error,
        }


class FaultSchedule:
    """The faults of one trial. Nodes are resolved when it is made (a fault naming a node
    the topology lacks is refused before the measure phase starts)."""

    def __init__(self, specs: Sequence[FaultSpec], topology: RunningTopology, apply: Apply):
        self.faults = [AppliedFault(spec, find_node(topology, spec.node)) for spec in specs]
        self._apply = apply
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._origin_ns = 0

    def start(self, origin_ns: int) -> None:
        """Run the schedule from `origin_ns` (perf_counter_ns of the phase start)."""
        self._origin_ns = origin_ns
        self._thread = threading.Thread(target=self._run, name="bakeoff-faults", daemon=True)
        self._thread.start()

    def _now_s(self) -> float:
        return (time.perf_counter_ns() - self._origin_ns) / 1e9

    def _events(self) -> list[tuple[float, int, bool]]:
        """(time, fault index, True to apply / False to undo), in time order."""
        events = []
        for i, fault in enumerate(self.faults):
            events.append((fault.spec.at_s, i, True))
            if fault.spec.for_s is not None:
                events.append((fault.spec.at_s + fault.spec.for_s, i, False))
        return sorted(events, key=lambda e: (e[0], not e[2], e[1]))

    def _run(self) -> None:
        for when, i, applying in self._events():
            if self._stop.wait(max(0.0, when - self._now_s())):
                return
            with self._lock:
                if self._stop.is_set():
                    return
                if applying:
                    self._begin(self.faults[i])
                else:
                    self._end(self.faults[i])

    def _begin(self, fault: AppliedFault) -> None:
        fault.started_s = self._now_s()
        try:
            fault.undo = self._apply(fault.spec, fault.node)
            if fault.undo is None:
                fault.ended_s = self._now_s()
        except Exception as error:
            fault.error = f"{type(error).__name__}: {error}"

    def _end(self, fault: AppliedFault) -> None:
        undo, fault.undo = fault.undo, None
        if undo is None:
            return
        try:
            undo()
        except Exception as error:
            fault.error = f"undo failed: {type(error).__name__}: {error}"
        fault.ended_s = self._now_s()

    def stop(self) -> None:
        """End the schedule; undo every fault still applied, newest first. Safe to call
        again, and when the schedule never started."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(_JOIN_S)
        with self._lock:
            for fault in reversed(self.faults):
                self._end(fault)

    def describe(self) -> list[dict[str, object]]:
        return [fault.describe() for fault in self.faults]
