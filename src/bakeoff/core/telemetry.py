"""What telemetry is: samples of a container's or an engine's own counters and gauges.

A `TelemetrySource` is polled off the measured path, once per interval; the harness
turns counter readings into per-interval deltas and keeps gauges as read. A metric a
source cannot read is left out of its sample (absent, never zero).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class MetricKind(StrEnum):
    COUNTER = "counter"
    """Monotonic since some start; the interval's value is the difference of readings."""
    GAUGE = "gauge"
    """A level at the moment of reading (memory in use, pending compactions)."""


@dataclass(frozen=True)
class MetricReading:
    """One metric's value at one moment, as its source read it."""

    metric: str
    """Dotted, source-prefixed name: "container.cpu_user_s", "postgres.blks_hit"."""
    value: float
    unit: str
    """"s", "bytes", "blocks", "operations", "1" for ratios and plain counts."""
    kind: MetricKind


class TelemetrySource(Protocol):
    """Something that reads metrics: a container's cgroup, an engine's statistics views."""

    name: str
    """What the source reads ("container", "postgres"), for the manifest and errors."""

    def read(self) -> Sequence[MetricReading]:
        """The current readings. Must be cheap (a few ms) and must not raise for a metric
        the engine lacks; it may raise when the engine is unreachable (the sampler logs it
        once and keeps the intervals it has)."""
        ...

    def close(self) -> None:
        """Release the source's connection; safe to call twice."""
        ...


@dataclass(frozen=True)
class TelemetryRow:
    """One metric over one telemetry interval of a phase: a counter's increase in it, or a
    gauge's level at its end. Intervals are those of the latency histograms (same phase
    start, same width, or a whole multiple of it: `duration_s`)."""

    phase: str
    interval: int
    """Index of the first latency interval it covers (its start / the histograms' width)."""
    start_s: float
    """Offset of the interval's start from the phase start, seconds."""
    duration_s: float
    source: str
    metric: str
    value: float
    unit: str
    kind: MetricKind
