"""MariaDB's (and MySQL's) statistics: `SHOW GLOBAL STATUS`, the server's counters since
it started, read through the SQL adapter's connection.

The status is global: it counts every client of the server, the source's own reading
among them (one `Questions` per reading).
"""

from __future__ import annotations

from collections.abc import Sequence

from bakeoff.adapters.sql_statistics import StatisticsConnection
from bakeoff.adapters.statistics_readings import Metric, counter, gauge, readings
from bakeoff.core.endpoint import Endpoint
from bakeoff.core.telemetry import MetricReading

STATUS: dict[str, Metric] = {
    "innodb_buffer_pool_reads": counter("innodb_buffer_pool_reads", "blocks"),
    "innodb_buffer_pool_read_requests": counter("innodb_buffer_pool_read_requests", "blocks"),
    "innodb_buffer_pool_write_requests": counter("innodb_buffer_pool_write_requests", "blocks"),
    "innodb_buffer_pool_pages_dirty": gauge("innodb_buffer_pool_pages_dirty", "blocks"),
    # InnoDB's row counters are MySQL's; MariaDB removed them in 10.6 (absent there).
    "innodb_rows_read": counter("innodb_rows_read", "1"),
    "innodb_rows_inserted": counter("innodb_rows_inserted", "1"),
    "innodb_rows_updated": counter("innodb_rows_updated", "1"),
    "innodb_rows_deleted": counter("innodb_rows_deleted", "1"),
    # Row operations as the SQL layer asks the storage engine for them (both servers).
    "handler_read_key": counter("handler_read_key", "1"),
    "handler_read_next": counter("handler_read_next", "1"),
    "handler_read_rnd_next": counter("handler_read_rnd_next", "1"),
    "handler_write": counter("handler_write", "1"),
    "handler_update": counter("handler_update", "1"),
    "handler_delete": counter("handler_delete", "1"),
    "rows_read": counter("rows_read", "1"),
    "innodb_row_lock_waits": counter("innodb_row_lock_waits", "1"),
    "innodb_row_lock_time": counter("innodb_row_lock_time_s", "s", 0.001),
    "innodb_data_fsyncs": counter("innodb_data_fsyncs", "1"),
    "innodb_os_log_written": counter("innodb_log_bytes_written", "bytes"),
    "questions": counter("questions", "operations"),
    "com_commit": counter("commits", "operations"),
    "com_rollback": counter("rollbacks", "operations"),
    "threads_running": gauge("threads_running", "1"),
    "threads_connected": gauge("connections", "1"),
    "bytes_received": counter("bytes_received", "bytes"),
    "bytes_sent": counter("bytes_sent", "bytes"),
    "created_tmp_disk_tables": counter("tmp_disk_tables", "1"),
}
_STATUS_SQL = "SHOW GLOBAL STATUS WHERE Variable_name IN ({})".format(
    ", ".join(f"'{name}'" for name in STATUS)
)


class MariadbStatistics:
    """Reads `SHOW GLOBAL STATUS` through the SQL adapter's connection."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.name = endpoint.engine
        self._connection = StatisticsConnection(endpoint)

    def read(self) -> Sequence[MetricReading]:
        status = {
            str(row["variable_name"]).lower(): row["value"]
            for row in self._connection.rows(_STATUS_SQL)
        }
        return readings(self.name, STATUS, status)

    def close(self) -> None:
        self._connection.close()
