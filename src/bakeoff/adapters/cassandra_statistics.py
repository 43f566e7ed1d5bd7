"""Cassandra's statistics through the driver: the virtual tables of `system_views`
(Cassandra 4.0 and later), on a session of the adapter's kind
(`bakeoff.adapters.cassandra_session.open_connection`).

Chosen over `nodetool` in the container: the virtual tables are a CQL query on the
driver's own connection, work on a server reached by URL (no container to exec into),
and answer in milliseconds where nodetool starts a JVM per call. They are one node's
view: the node the driver sends the query to (on a cluster, the statistics of one node).

Latencies are the server's decaying histograms (recent requests weigh most): the
percentiles are levels at the moment of reading, over the benchmark keyspace's tables
(the slowest table's); the request counts are counters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bakeoff.adapters.cassandra_session import open_connection, raise_translated
from bakeoff.adapters.errors import FatalError
from bakeoff.adapters.statistics_readings import Metric, counter, gauge, readings
from bakeoff.core.endpoint import Endpoint
from bakeoff.core.telemetry import MetricReading

THREAD_POOLS: dict[str, dict[str, Metric]] = {
    "CompactionExecutor": {
        "pending_tasks": gauge("pending_compactions", "1"),
        "completed_tasks": counter("compactions_completed", "1"),
    },
    "ReadStage": {
        "pending_tasks": gauge("read_stage_pending", "1"),
        "completed_tasks": counter("read_stage_completed", "operations"),
    },
    "MutationStage": {
        "pending_tasks": gauge("mutation_stage_pending", "1"),
        "completed_tasks": counter("mutation_stage_completed", "operations"),
    },
    "Native-Transport-Requests": {
        "pending_tasks": gauge("native_requests_pending", "1"),
        "completed_tasks": counter("native_requests", "operations"),
        "blocked_tasks_all_time": counter("native_requests_blocked", "1"),
    },
    "MemtableFlushWriter": {
        "pending_tasks": gauge("memtable_flushes_pending", "1"),
        "completed_tasks": counter("memtable_flushes", "1"),
    },
}
CACHES: dict[str, dict[str, Metric]] = {
    cache: {
        "hit_count": counter(f"{cache}_cache_hits", "operations"),
        "request_count": counter(f"{cache}_cache_requests", "operations"),
        "size_bytes": gauge(f"{cache}_cache_bytes", "bytes"),
        "entry_count": gauge(f"{cache}_cache_entries", "1"),
    }
    for cache in ("key", "row")
}
LATENCY: dict[str, Metric] = {
    f"{kind}_{column}": metric
    for kind in ("read", "write")
    for column, metric in (
        ("count", counter(f"local_{kind}s", "operations")),
        ("p50", gauge(f"local_{kind}_p50_s", "s", 0.001)),
        ("p99", gauge(f"local_{kind}_p99_s", "s", 0.001)),
    )
}
TASKS: dict[str, Metric] = {
    "sstable_tasks": gauge("sstable_tasks", "1"),
    "disk_bytes": gauge("live_disk_bytes", "bytes", 1024 * 1024),
}
_CACHE_NAMES = {"keys": "key", "rows": "row"}
_POOL_COLUMNS = ("pending_tasks", "completed_tasks", "blocked_tasks_all_time")
_THREAD_POOLS_CQL = f"SELECT name, {', '.join(_POOL_COLUMNS)} FROM system_views.thread_pools"
_CACHE_COLUMNS = ("hit_count", "request_count", "size_bytes", "entry_count")
_CACHES_CQL = f"SELECT name, capacity_bytes, {', '.join(_CACHE_COLUMNS)} FROM system_views.caches"
_LATENCY_CQL = (
    "SELECT count, p50th_ms, p99th_ms FROM system_views.local_{kind}_latency"
    " WHERE keyspace_name = %s"
)
_DISK_USAGE_CQL = "SELECT mebibytes FROM system_views.disk_usage WHERE keyspace_name = %s"


class CassandraStatistics:
    """Reads `system_views` on a driver session of its own."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.name = endpoint.engine
        connection = open_connection(endpoint, {})
        self._cluster: Any = connection.cluster
        self._session: Any = connection.session
        self._keyspace = connection.settings.keyspace

    def read(self) -> Sequence[MetricReading]:
        if self._session is None:
            raise FatalError("the Cassandra statistics source is closed")
        try:
            return self._read()
        except Exception as exc:
            raise_translated(exc)

    def _read(self) -> list[MetricReading]:
        # The queries go out together: one round trip's wait, not six.
        pools, caches, reads, writes, tasks, sizes = [
            future.result()
            for future in [
                self._session.execute_async(cql, params)
                for cql, params in (
                    (_THREAD_POOLS_CQL, None),
                    (_CACHES_CQL, None),
                    (_LATENCY_CQL.format(kind="read"), (self._keyspace,)),
                    (_LATENCY_CQL.format(kind="write"), (self._keyspace,)),
                    ("SELECT task_id FROM system_views.sstable_tasks", None),
                    (_DISK_USAGE_CQL, (self._keyspace,)),
                )
            ]
        ]
        found = []
        for name, *columns in pools:
            if name in THREAD_POOLS:
                found += readings(
                    self.name, THREAD_POOLS[name], dict(zip(_POOL_COLUMNS, columns, strict=True))
                )
        for name, capacity, *columns in caches:
            # A cache of no capacity is switched off (the row cache by default): absent.
            if name in _CACHE_NAMES and capacity:
                cache = CACHES[_CACHE_NAMES[name]]
                found += readings(self.name, cache, dict(zip(_CACHE_COLUMNS, columns, strict=True)))
        values: dict[str, object] = {"sstable_tasks": len(list(tasks))}
        for kind, rows in (("read", list(reads)), ("write", list(writes))):
            if rows:  # the keyspace's tables exist
                values[f"{kind}_count"] = sum(row[0] for row in rows)
                values[f"{kind}_p50"] = max(row[1] for row in rows)
                values[f"{kind}_p99"] = max(row[2] for row in rows)
        sizes = list(sizes)
        if sizes:
            values["disk_bytes"] = sum(row[0] for row in sizes)
        found += readings(self.name, LATENCY, values)
        return found + readings(self.name, TASKS, values)

    def close(self) -> None:
        cluster, self._cluster, self._session = self._cluster, None, None
        if cluster is not None:
            cluster.shutdown()
