"""What the load generator measures: one row per operation type per interval of a phase.

The harness produces `IntervalRow`s; the result store turns them into its columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Phase(StrEnum):
    LOAD = "load"
    WARMUP = "warmup"
    MEASURE = "measure"


class LatencyKind(StrEnum):
    SERVICE = "service"
    """Completion minus actual start of the call (closed loop measures only this)."""
    RESPONSE = "response"
    """Completion minus intended start (open loop): includes queueing behind a stall."""


@dataclass(frozen=True)
class IntervalRow:
    """One operation type's results in one interval of one phase of one worker (or merged).

    Latencies are nanoseconds in the histogram; the store derives the µs columns.
    """

    phase: Phase
    operation: str
    latency_kind: LatencyKind
    interval: int
    """Index of the interval since the phase started (interval = duration_s wide)."""
    start_s: float
    """Offset of the interval's start from the phase start, seconds."""
    duration_s: float
    """Width of the interval (the last one of a phase may be shorter)."""
    count: int
    """Successful operations (`histogram` holds exactly these)."""
    not_found: int
    errors_transient: int
    errors_fatal: int
    errors_unsupported: int
    histogram: str
    """HdrHistogram in its standard compressed base64 encoding, values in ns."""
    error_histograms: tuple[tuple[str, str], ...] = ()
    """(error kind, encoded histogram) of the operations that ended in an error, one per
    kind that occurred (the kinds of `bakeoff.adapters.errors.ErrorKind`, counted above
    as errors_<kind>), ordered by kind. Never mixed into `histogram`: a stall that ends
    in a timeout shows here, not among the successes."""
