"""Memcached's statistics: `stats`, on a client of the adapter's kind
(`bakeoff.adapters.memcached.open_client`).

The counters are the server's since it started, every client's together; the source's
own `stats` command counts in none of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bakeoff.adapters.errors import FatalError
from bakeoff.adapters.memcached import open_client, raise_translated
from bakeoff.adapters.statistics_readings import Metric, counter, gauge, readings
from bakeoff.core.endpoint import Endpoint
from bakeoff.core.telemetry import MetricReading

STATS: dict[str, Metric] = {
    "cmd_get": counter("cmd_get", "operations"),
    "cmd_set": counter("cmd_set", "operations"),
    "get_hits": counter("get_hits", "operations"),
    "get_misses": counter("get_misses", "operations"),
    "delete_hits": counter("delete_hits", "operations"),
    "cas_hits": counter("cas_hits", "operations"),
    "cas_badval": counter("cas_badval", "operations"),
    "evictions": counter("evictions", "1"),
    "store_no_memory": counter("store_no_memory", "1"),
    "bytes_read": counter("bytes_read", "bytes"),
    "bytes_written": counter("bytes_written", "bytes"),
    "rusage_user": counter("cpu_user_s", "s"),
    "rusage_system": counter("cpu_system_s", "s"),
    "curr_items": gauge("curr_items", "1"),
    "bytes": gauge("bytes", "bytes"),
    "limit_maxbytes": gauge("limit_maxbytes", "bytes"),
    "curr_connections": gauge("curr_connections", "1"),
}


class MemcachedStatistics:
    """Reads Memcached's `stats` on a client of its own."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.name = endpoint.engine
        self._client: Any
        self._client, self._driver_errors = open_client(endpoint)

    def read(self) -> Sequence[MetricReading]:
        if self._client is None:
            raise FatalError("the Memcached statistics source is closed")
        try:
            stats = self._client.stats()
        except self._driver_errors as exc:
            raise_translated(exc)
        values = {_text(name): value for name, value in stats.items()}
        return readings(self.name, STATS, values)

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()


def _text(name: object) -> str:
    return name.decode() if isinstance(name, bytes) else str(name)
