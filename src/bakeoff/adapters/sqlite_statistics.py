"""SQLite's statistics: what its pragmas say about the database file, and the file sizes.

SQLite runs inside the client processes, and what it counts (page cache hits and misses,
`sqlite3_db_status`) belongs to each connection and is not reachable through Python's
`sqlite3`; a connection of the source's own would count only itself. So the source reads
the database file's shape (pages in use, free pages) and the size of its write-ahead log:
levels, no counters. The pragmas take a read snapshot; in WAL mode that never blocks a
writer.
"""

from __future__ import annotations

from collections.abc import Sequence

from bakeoff.adapters.sql_statistics import StatisticsConnection
from bakeoff.adapters.statistics_readings import Metric, file_size, gauge, readings
from bakeoff.core.endpoint import Endpoint
from bakeoff.core.telemetry import MetricReading

METRICS: dict[str, Metric] = {
    "page_count": gauge("pages", "blocks"),
    "freelist_count": gauge("free_pages", "blocks"),
    "page_size": gauge("page_bytes", "bytes"),
    "database_bytes": gauge("database_bytes", "bytes"),
    "wal_bytes": gauge("wal_bytes", "bytes"),
}


class SqliteStatistics:
    """Reads an SQLite database file's pragmas through the SQL adapter's connection."""

    def __init__(self, endpoint: Endpoint, database: str) -> None:
        self.name = endpoint.engine
        self._wal = f"{database}-wal"
        self._connection = StatisticsConnection(endpoint)

    def read(self) -> Sequence[MetricReading]:
        values: dict[str, object] = {}
        for pragma in ("page_count", "freelist_count", "page_size"):
            for row in self._connection.rows(f"PRAGMA {pragma}"):
                values[pragma] = row[pragma]
        pages, page_bytes = values.get("page_count"), values.get("page_size")
        if isinstance(pages, int) and isinstance(page_bytes, int):
            values["database_bytes"] = pages * page_bytes
        values["wal_bytes"] = file_size(self._wal)
        return readings(self.name, METRICS, values)

    def close(self) -> None:
        self._connection.close()
