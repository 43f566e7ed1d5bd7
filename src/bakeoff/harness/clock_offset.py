"""How far a remote monotonic clock is from ours, from round trips (Cristian's method).

Each round trip reads our clock (t0), asks the remote for its clock (r), and reads ours
again (t1). The remote read happened somewhere inside [t0, t1], so r - (t0 + t1) / 2 is
the offset give or take half the round trip. The round trip with the shortest time bounds
the offset most tightly: its half is the figure's uncertainty.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

ROUND_TRIPS = 15


@dataclass(frozen=True)
class ClockOffset:
    offset_ns: int
    """Remote clock minus ours: a time t on our clock is t + offset_ns on the remote's."""
    uncertainty_ns: int
    """Half the shortest round trip: the true offset lies within offset_ns ± this."""
    round_trips: int

    def to_remote(self, ours_ns: int) -> int:
        return ours_ns + self.offset_ns

    def describe(self) -> dict[str, object]:
        return {
            "clock_offset_ns": self.offset_ns,
            "clock_offset_uncertainty_ns": self.uncertainty_ns,
            "clock_round_trips": self.round_trips,
        }


def estimate(samples: Sequence[tuple[int, int, int]]) -> ClockOffset:
    """The offset from (t0, remote, t1) samples: the one with the shortest round trip."""
    if not samples:
        raise ValueError("a clock offset needs at least one round trip")
    t0, remote, t1 = min(samples, key=lambda s: s[2] - s[0])
    if t1 < t0:
        raise ValueError("a round trip ended before it started")
    return ClockOffset(
        offset_ns=remote - (t0 + t1) // 2,
        uncertainty_ns=(t1 - t0 + 1) // 2,
        round_trips=len(samples),
    )


def measure(read_remote: Callable[[], int], round_trips: int = ROUND_TRIPS) -> ClockOffset:
    """Measure the offset of the clock `read_remote` reads (a blocking call)."""
    samples = []
    for _ in range(round_trips):
        t0 = time.perf_counter_ns()
        remote = read_remote()
        samples.append((t0, remote, time.perf_counter_ns()))
    return estimate(samples)
