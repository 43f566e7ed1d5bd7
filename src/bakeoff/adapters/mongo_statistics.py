"""MongoDB's and FerretDB's statistics: `serverStatus` and `dbStats` of the benchmark
database, on a client of the adapter's kind (`bakeoff.adapters.mongo.open_database`).

Each metric is read where the server gives it: MongoDB's `serverStatus` has operation
counters, connections, memory, network bytes and the WiredTiger cache; FerretDB 1.24's
has only `metrics.commands` (calls and failures per command). `dbStats` (objects and
sizes) both answer. What a server leaves out is absent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bakeoff.adapters.errors import FatalError
from bakeoff.adapters.mongo import open_database, raise_translated
from bakeoff.adapters.statistics_readings import Metric, counter, gauge, readings
from bakeoff.core.endpoint import Endpoint
from bakeoff.core.telemetry import MetricReading

_MIB = 1024 * 1024
SERVER: dict[str, Metric] = {
    "opcounters.insert": counter("opcounters.insert", "operations"),
    "opcounters.query": counter("opcounters.query", "operations"),
    "opcounters.update": counter("opcounters.update", "operations"),
    "opcounters.delete": counter("opcounters.delete", "operations"),
    "opcounters.getmore": counter("opcounters.getmore", "operations"),
    "opcounters.command": counter("opcounters.command", "operations"),
    "connections.current": gauge("connections", "1"),
    "mem.resident": gauge("resident_bytes", "bytes", _MIB),
    "network.bytesIn": counter("network_bytes_in", "bytes"),
    "network.bytesOut": counter("network_bytes_out", "bytes"),
    "opLatencies.reads.latency": counter("read_latency_s", "s", 1e-6),
    "opLatencies.writes.latency": counter("write_latency_s", "s", 1e-6),
    "opLatencies.reads.ops": counter("read_latency_ops", "operations"),
    "opLatencies.writes.ops": counter("write_latency_ops", "operations"),
    "wiredTiger.cache.bytes currently in the cache": gauge("cache_bytes", "bytes"),
    "wiredTiger.cache.pages read into cache": counter("cache_pages_read", "blocks"),
    "wiredTiger.cache.pages requested from the cache": counter("cache_pages_requested", "blocks"),
}
COMMANDS = ("find", "insert", "update", "delete", "getMore", "aggregate", "count")
"""Commands whose calls are read from `metrics.commands` (MongoDB and FerretDB)."""
SERVER.update(
    {f"metrics.commands.{c}.total": counter(f"commands.{c}", "operations") for c in COMMANDS}
)
SERVER["commands_failed"] = counter("commands_failed", "operations")
"""The sum of `metrics.commands.*.failed`."""
DATABASE: dict[str, Metric] = {
    "collections": gauge("collections", "1"),
    "objects": gauge("objects", "1"),
    "dataSize": gauge("data_bytes", "bytes"),
    "storageSize": gauge("storage_bytes", "bytes"),
    "indexSize": gauge("index_bytes", "bytes"),
}


def flatten(document: Mapping[str, Any], prefix: str = "") -> dict[str, object]:
    """A nested reply as one mapping of dotted paths to its leaves."""
    flat: dict[str, object] = {}
    for name, value in document.items():
        path = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{path}."))
        else:
            flat[path] = value
    return flat


class MongoStatistics:
    """Reads `serverStatus` and `dbStats` on a client of its own."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.name = endpoint.engine
        self._client: Any
        self._client, self._db, _ = open_database(endpoint, {})
        from pymongo.errors import PyMongoError

        self._driver_error = PyMongoError

    def read(self) -> Sequence[MetricReading]:
        if self._client is None:
            raise FatalError("the MongoDB statistics source is closed")
        try:
            server = flatten(self._client.admin.command("serverStatus"))
            database = self._db.command("dbStats")
        except self._driver_error as exc:
            raise_translated(exc)
        failed = [
            value
            for path, value in server.items()
            if path.startswith("metrics.commands.") and path.endswith(".failed")
        ]
        if failed:
            server["commands_failed"] = sum(v for v in failed if isinstance(v, int | float))
        return [*readings(self.name, SERVER, server), *readings(self.name, DATABASE, database)]

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()
