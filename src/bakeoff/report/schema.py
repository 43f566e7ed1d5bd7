"""The one tidy result schema: a row per (run, trial, engine, workload, phase, operation,
latency kind, interval), with the encoded HdrHistogram so any percentile can be recomputed.

The harness produces `IntervalRow`s; the store turns them into these columns.
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
    """Successful operations (the histogram holds exactly these)."""
    not_found: int
    errors_transient: int
    errors_fatal: int
    errors_unsupported: int
    histogram: str
    """HdrHistogram in its standard compressed base64 encoding, values in ns."""


# Column order of samples.parquet. Percentile columns are µs; throughput is ops/s.
TRIAL_COLUMNS = (
    "run_id",
    "trial",
    "repetition",
    "engine",
    "engine_version",
    "workload",
    "workload_hash",
)
ROW_COLUMNS = (
    "phase",
    "operation",
    "latency_kind",
    "interval",
    "start_s",
    "duration_s",
    "count",
    "not_found",
    "errors_transient",
    "errors_fatal",
    "errors_unsupported",
    "errors",
    "throughput_ops",
    "mean_us",
    "p50_us",
    "p90_us",
    "p99_us",
    "p999_us",
    "max_us",
    "histogram",
)
COLUMNS = TRIAL_COLUMNS + ROW_COLUMNS
