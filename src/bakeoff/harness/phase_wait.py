"""The main thread's part of a phase: start it on every client group, poll them until
each has handed over its result, report progress, and stop them early when an automatic
warm-up has become steady (`bakeoff.harness.steady_state`)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from bakeoff.harness.clients import (
    ClientGroup,
    PhaseCommand,
    PhaseResult,
    WorkerLostError,
    collect_stopped,
)
from bakeoff.harness.progress import ProgressSink
from bakeoff.harness.steady_state import SteadyStateMonitor

_POLL_S = 0.25
_STEADY_POLL_S = 0.02
"""Polls of a warm-up that ends when steady: each step of its throughput is timed from
the poll that saw the count change, so polls are frequent (bakeoff.harness.steady_state)."""
_STOP_GRACE_S = 5.0
"""How long stopped connections may take to hand over their results; one stuck in a
driver call past that loses its rows rather than holding the run up."""


def wait_for_phase(
    groups: Sequence[ClientGroup],
    command: PhaseCommand,
    results: dict[int, PhaseResult],
    progress: ProgressSink,
    monitor: SteadyStateMonitor | None = None,
    lost: list[str] | None = None,
) -> None:
    """Run `command` on every group; `results` receives each group's result by index,
    also when a termination signal interrupts the wait (and is re-raised). A group whose
    worker is lost (`WorkerLostError`) is given up and named in `lost`; the others run on
    to the phase's end (without `lost`, the loss is raised)."""
    poll = (_POLL_S if monitor is None else _STEADY_POLL_S) / len(groups)
    try:
        for group in groups:
            group.start_phase(command)
        gone: set[int] = set()
        while len(results.keys() | gone) < len(groups):
            for i, group in enumerate(groups):
                if i not in results and i not in gone:
                    try:
                        result = group.wait(poll)
                    except WorkerLostError as exc:
                        if lost is None:
                            raise
                        gone.add(i)
                        lost.append(str(exc))
                        if exc.kept is not None:
                            results[i] = exc.kept
                        continue
                    if result is not None:
                        results[i] = result
            # Negative until a cluster's start barrier is reached.
            elapsed = max(0.0, (time.perf_counter_ns() - command.start_ns) / 1e9)
            done = sum(g.completed() for g in groups)
            progress.advance(done, elapsed)
            steady_before = monitor is not None and monitor.steady_at_s is not None
            if monitor is not None and not steady_before and monitor.observe(elapsed, done):
                for group in groups:  # the warm-up has done its job
                    group.request_stop()
    except KeyboardInterrupt:
        collect_stopped(groups, results, poll_s=_POLL_S, grace_s=_STOP_GRACE_S)
        raise
