"""Redis's statistics: `INFO` (its default sections), on a connection of the adapter's
kind (`bakeoff.adapters.redis.open_connection`).

The counters are the server's since it started, every client's together, the source's
own `INFO` among them (one command per reading).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bakeoff.adapters.errors import FatalError
from bakeoff.adapters.redis import open_connection
from bakeoff.adapters.redis_wire import raise_translated
from bakeoff.adapters.statistics_readings import Metric, counter, gauge, readings
from bakeoff.core.endpoint import Endpoint
from bakeoff.core.telemetry import MetricReading

INFO: dict[str, Metric] = {
    "total_commands_processed": counter("commands", "operations"),
    "keyspace_hits": counter("keyspace_hits", "operations"),
    "keyspace_misses": counter("keyspace_misses", "operations"),
    "expired_keys": counter("expired_keys", "1"),
    "evicted_keys": counter("evicted_keys", "1"),
    "rejected_connections": counter("rejected_connections", "1"),
    "total_net_input_bytes": counter("net_input_bytes", "bytes"),
    "total_net_output_bytes": counter("net_output_bytes", "bytes"),
    "used_cpu_user": counter("cpu_user_s", "s"),
    "used_cpu_sys": counter("cpu_system_s", "s"),
    "instantaneous_ops_per_sec": gauge("instantaneous_ops_per_sec", "operations/s"),
    "connected_clients": gauge("connected_clients", "1"),
    "blocked_clients": gauge("blocked_clients", "1"),
    "used_memory": gauge("used_memory_bytes", "bytes"),
    "used_memory_rss": gauge("used_memory_rss_bytes", "bytes"),
    "maxmemory": gauge("maxmemory_bytes", "bytes"),
    "mem_fragmentation_ratio": gauge("mem_fragmentation_ratio", "1"),
    "keys": gauge("keys", "1"),
}


def parse_info(text: str) -> dict[str, str]:
    """`INFO`'s reply as its fields; the keyspace lines (`db0:keys=3,expires=0,...`) add
    up to one field, `keys`, over every database."""
    fields: dict[str, str] = {}
    keys = 0
    for line in text.splitlines():
        if not line or line.startswith("#") or ":" not in line:
            continue
        name, _, value = line.partition(":")
        if name.startswith("db") and name[2:].isdigit():
            entries = dict(item.partition("=")[::2] for item in value.split(","))
            keys += int(entries.get("keys", "0"))
        else:
            fields[name] = value.strip()
    fields["keys"] = str(keys)
    if fields.get("maxmemory") == "0":
        del fields["maxmemory"]  # no limit: there is no level to report
    return fields


class RedisStatistics:
    """Reads Redis's `INFO` on a connection of its own."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.name = endpoint.engine
        self._conn: Any = open_connection(endpoint)
        import redis  # open_connection has checked that the driver is there

        self._driver_error = redis.RedisError

    def read(self) -> Sequence[MetricReading]:
        if self._conn is None:
            raise FatalError("the Redis statistics source is closed")
        try:
            self._conn.send_command("INFO")
            reply = self._conn.read_response()
        except self._driver_error as exc:
            raise_translated(exc)
        return readings(self.name, INFO, parse_info(str(reply)))

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.disconnect()
