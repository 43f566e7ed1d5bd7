"""Engine statistics sources: each engine's own views read through its driver.

`statistics_source(adapter, endpoint)` opens the source for an adapter's engine, or
returns None for an engine without one. Sources are added to `_SOURCES` by adapter name;
each is a module of its own (adapters/<engine>_statistics.py) implementing
`bakeoff.core.telemetry.TelemetrySource`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bakeoff.core.endpoint import Endpoint
from bakeoff.core.telemetry import TelemetrySource

StatisticsFactory = Callable[[Endpoint], TelemetrySource]

_SOURCES: Mapping[str, StatisticsFactory] = {}


def statistics_source(adapter: str, endpoint: Endpoint) -> TelemetrySource | None:
    """The statistics source of the adapter's engine, connected; None when it has none."""
    factory = _SOURCES.get(adapter)
    return factory(endpoint) if factory is not None else None
