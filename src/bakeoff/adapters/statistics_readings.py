"""What every engine statistics source shares: a table of the metrics it reads, and the
readings made from the values an engine returned (a value the engine left out, or one
that is not a number, is absent from the readings, never zero)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from bakeoff.core.telemetry import MetricKind, MetricReading


@dataclass(frozen=True)
class Metric:
    """One metric a source reads: its name without the engine's prefix, unit and kind."""

    name: str
    unit: str
    kind: MetricKind
    scale: float = 1.0
    """From the engine's unit to the reading's (milliseconds to seconds: 0.001)."""


def counter(name: str, unit: str, scale: float = 1.0) -> Metric:
    return Metric(name, unit, MetricKind.COUNTER, scale)


def gauge(name: str, unit: str, scale: float = 1.0) -> Metric:
    return Metric(name, unit, MetricKind.GAUGE, scale)


def number(value: object) -> float | None:
    """`value` as a finite float, or None when it is no number (None, text, NaN, bool)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal):
        result = float(value)
    elif isinstance(value, str | bytes):
        try:
            result = float(value)
        except ValueError:
            return None
    else:
        return None
    return result if math.isfinite(result) else None


def readings(
    prefix: str, metrics: Mapping[str, Metric], values: Mapping[str, object]
) -> list[MetricReading]:
    """A reading per metric whose key (the engine's own name) has a number in `values`."""
    found = []
    for key, metric in metrics.items():
        value = number(values.get(key))
        if value is not None:
            found.append(
                MetricReading(
                    f"{prefix}.{metric.name}", value * metric.scale, metric.unit, metric.kind
                )
            )
    return found


def file_size(path: str) -> int | None:
    """The size of the file at `path` in bytes, None when there is none (a WAL not yet
    written, or already checkpointed away)."""
    try:
        return os.stat(path).st_size
    except OSError:
        return None
