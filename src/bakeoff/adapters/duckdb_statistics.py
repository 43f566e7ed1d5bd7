"""DuckDB's statistics: `pragma database_size` (blocks of the file) and `duckdb_memory()`
(memory by component, spilled temporary storage), and the size of the write-ahead log.

DuckDB runs inside the client process and lets one process at a time open a database
file; a connection in the same process shares the clients' database instance, so the
source (polled by the harness in that process) sees the memory the clients' work holds.
It keeps no cumulative counters a connection could read: every metric is a level.
"""

from __future__ import annotations

from collections.abc import Sequence

from bakeoff.adapters.sql_statistics import StatisticsConnection
from bakeoff.adapters.statistics_readings import Metric, file_size, gauge, readings
from bakeoff.core.endpoint import Endpoint
from bakeoff.core.telemetry import MetricReading

METRICS: dict[str, Metric] = {
    "total_blocks": gauge("blocks", "blocks"),
    "used_blocks": gauge("used_blocks", "blocks"),
    "free_blocks": gauge("free_blocks", "blocks"),
    "database_bytes": gauge("database_bytes", "bytes"),
    "wal_bytes": gauge("wal_bytes", "bytes"),
    "memory_bytes": gauge("memory_bytes", "bytes"),
    "temporary_storage_bytes": gauge("temporary_storage_bytes", "bytes"),
}
_SIZE_SQL = (
    "SELECT total_blocks, used_blocks, free_blocks, total_blocks * block_size AS database_bytes"
    " FROM pragma_database_size() WHERE database_name = current_database()"
)
_MEMORY_SQL = (
    "SELECT sum(memory_usage_bytes) AS memory_bytes,"
    " sum(temporary_storage_bytes) AS temporary_storage_bytes FROM duckdb_memory()"
)


class DuckdbStatistics:
    """Reads a DuckDB database's size and memory through the SQL adapter's connection."""

    def __init__(self, endpoint: Endpoint, database: str) -> None:
        self.name = endpoint.engine
        self._wal = f"{database}.wal"
        self._connection = StatisticsConnection(endpoint)

    def read(self) -> Sequence[MetricReading]:
        values: dict[str, object] = {"wal_bytes": file_size(self._wal)}
        for row in self._connection.rows(_SIZE_SQL):
            values.update(row)
        for row in self._connection.optional_rows(_MEMORY_SQL):
            values.update(row)
        return readings(self.name, METRICS, values)

    def close(self) -> None:
        self._connection.close()
