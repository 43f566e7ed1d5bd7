"""Is this machine slow to wake an idle CPU? The probe of every run's provenance, once
with the machine as it is and once with a lowest-priority busy loop on every CPU.

A busy loop keeps each CPU from idling, so a woken thread preempts it at once instead of
waiting for its CPU to wake; it takes no time from anything else (SCHED_IDLE: it runs
only when nothing else wants the CPU). When the
round trip with the loops is much faster than without, idle CPUs are slow to wake, and
one-connection figures measure that as much as the client and the server: they change
with how busy the rest of the machine happens to be.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator

from bakeoff.results.wakeup import idle_settings, wakeup_probe

PENALTY_US = 5.0
"""Idle round trip minus busy round trip (two wake-ups) above which the one-connection
figures are called unreliable: a fifth or more of a 25 µs one-connection operation."""

_PROBES = 5
_ROUND_TRIPS = 200


def wakeup_figures() -> dict[str, object]:
    """The idle settings, and the probe's median round trip (µs) and idle entries per
    round trip, with the machine as it is and kept busy."""
    idle = _median_probe()
    with busy_loops():
        busy = _median_probe()
    idle_us, busy_us = idle["wakeup_round_trip_p50_us"], busy["wakeup_round_trip_p50_us"]
    penalty = None if idle_us is None or busy_us is None else round(idle_us - busy_us, 1)
    return {
        **idle_settings(),
        "wakeup_round_trip_idle_us": idle_us,
        "wakeup_round_trip_busy_us": busy_us,
        "wakeup_idle_entries_idle": idle["wakeup_idle_entries_per_round_trip"],
        "wakeup_idle_entries_busy": busy["wakeup_idle_entries_per_round_trip"],
        "wakeup_penalty_us": penalty,
        "one_connection_reliable": penalty is None or penalty <= PENALTY_US,
    }


def _median_probe() -> dict[str, float | None]:
    """Each figure of the probe, the median of its runs (None if it has none)."""
    probes = [wakeup_probe(_ROUND_TRIPS) for _ in range(_PROBES)]
    medians: dict[str, float | None] = {}
    for key in probes[0]:
        values = [float(v) for p in probes if isinstance(v := p[key], int | float)]
        medians[key] = round(statistics.median(values), 2) if values else None
    return medians


@contextlib.contextmanager
def busy_loops() -> Iterator[None]:
    """A spinning SCHED_IDLE process pinned to each usable CPU, for the `with` block."""
    cpus = sorted(os.sched_getaffinity(0))
    loops = [
        subprocess.Popen(
            [sys.executable, "-c", _BUSY.format(cpu=cpu)],
            stdin=subprocess.DEVNULL,
        )
        for cpu in cpus
    ]
    try:
        time.sleep(0.3)  # started and spinning
        yield
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


# SCHED_IDLE rather than nice 19: a woken thread preempts it at once, where the fair
# scheduler may let a nice-19 loop finish its slice first.
_BUSY = (
    "import os\n"
    "os.sched_setaffinity(0, {{{cpu}}})\n"
    "os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))\n"
    "while True:\n"
    "    pass\n"
)
