"""PostgreSQL's statistics: `pg_stat_database` for the benchmark database, checkpoints
(`pg_stat_checkpointer` from PostgreSQL 17, `pg_stat_bgwriter` before it), and
`pg_stat_statements` when the extension is installed and loaded.

The counters are the server's cumulative statistics: a backend reports its own at the
end of a transaction at most once a second (and when it exits), so an interval's delta
may trail the work by up to a second. A reading is one query (one round trip, one
transaction: it counts in `xact_commit` like any other), and two more of
`pg_stat_statements` when it is loaded.
"""

from __future__ import annotations

from collections.abc import Sequence

from bakeoff.adapters.sql_statistics import StatisticsConnection
from bakeoff.adapters.statistics_readings import Metric, counter, gauge, readings
from bakeoff.core.endpoint import Endpoint
from bakeoff.core.telemetry import MetricReading

DATABASE: dict[str, Metric] = {
    "numbackends": gauge("connections", "1"),
    "xact_commit": counter("xact_commit", "operations"),
    "xact_rollback": counter("xact_rollback", "operations"),
    "blks_read": counter("blks_read", "blocks"),
    "blks_hit": counter("blks_hit", "blocks"),
    "tup_returned": counter("tup_returned", "1"),
    "tup_fetched": counter("tup_fetched", "1"),
    "tup_inserted": counter("tup_inserted", "1"),
    "tup_updated": counter("tup_updated", "1"),
    "tup_deleted": counter("tup_deleted", "1"),
    "temp_files": counter("temp_files", "1"),
    "temp_bytes": counter("temp_bytes", "bytes"),
    "deadlocks": counter("deadlocks", "1"),
}
_DATABASE_SQL = (
    f"SELECT {', '.join(DATABASE)}, "
    # Asked each time for free: the extension may be created during a run.
    "to_regclass('pg_stat_statements') IS NOT NULL AS has_statements "
    "FROM pg_stat_database WHERE datname = current_database()"
)

TABLES: dict[str, Metric] = {
    "seq_scan": counter("seq_scans", "operations"),
    "seq_tup_read": counter("seq_tup_read", "1"),
    "idx_scan": counter("idx_scans", "operations"),
    "idx_tup_fetch": counter("idx_tup_fetch", "1"),
    "n_live_tup": gauge("live_tuples", "1"),
    "n_dead_tup": gauge("dead_tuples", "1"),
    "autovacuum_count": counter("autovacuums", "1"),
    "autoanalyze_count": counter("autoanalyzes", "1"),
}
_TABLES_SQL = "SELECT {} FROM pg_stat_user_tables".format(
    ", ".join(f"sum({column}) AS {column}" for column in TABLES)
)
"""Over the database's own tables: sequential scans against index scans is whether the
workload's lookups use an index."""

CHECKPOINTS: dict[str, Metric] = {
    "timed": counter("checkpoints_timed", "1"),
    "requested": counter("checkpoints_requested", "1"),
    "write_time": counter("checkpoint_write_time_s", "s", 0.001),
    "sync_time": counter("checkpoint_sync_time_s", "s", 0.001),
    "buffers_written": counter("checkpoint_buffers_written", "blocks"),
    "buffers_clean": counter("bgwriter_buffers_written", "blocks"),
    "buffers_backend": counter("backend_buffers_written", "blocks"),
    "buffers_alloc": counter("buffers_allocated", "blocks"),
}
_CHECKPOINTER_SQL = (  # PostgreSQL 17 moved checkpoints out of pg_stat_bgwriter
    "SELECT c.num_timed AS timed, c.num_requested AS requested, c.write_time, c.sync_time,"
    " c.buffers_written, b.buffers_clean, b.buffers_alloc"
    " FROM pg_stat_checkpointer c, pg_stat_bgwriter b"
)
_BGWRITER_SQL = (
    "SELECT checkpoints_timed AS timed, checkpoints_req AS requested,"
    " checkpoint_write_time AS write_time, checkpoint_sync_time AS sync_time,"
    " buffers_checkpoint AS buffers_written, buffers_clean, buffers_backend, buffers_alloc"
    " FROM pg_stat_bgwriter"
)

STATEMENTS: dict[str, Metric] = {
    "calls": counter("statements.calls", "operations"),
    "exec_time": counter("statements.exec_time_s", "s", 0.001),
    "rows": counter("statements.rows", "1"),
    "shared_blks_hit": counter("statements.shared_blks_hit", "blocks"),
    "shared_blks_read": counter("statements.shared_blks_read", "blocks"),
}
TOP_STATEMENTS = 5
"""Statements read one by one, the most time-consuming first."""
_STATEMENT_TOTALS_SQL = (
    "SELECT sum(calls) AS calls, sum(total_exec_time) AS exec_time, sum(rows) AS rows,"
    " sum(shared_blks_hit) AS shared_blks_hit, sum(shared_blks_read) AS shared_blks_read"
    " FROM pg_stat_statements"
    " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
)
_TOP_STATEMENTS_SQL = (
    "SELECT queryid, sum(calls) AS calls, sum(total_exec_time) AS exec_time"
    " FROM pg_stat_statements"
    " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
    " AND queryid IS NOT NULL GROUP BY queryid"
    f" ORDER BY sum(total_exec_time) DESC LIMIT {TOP_STATEMENTS}"
)


class PostgresStatistics:
    """Reads PostgreSQL's statistics views through the SQL adapter's connection."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.name = endpoint.engine
        self._connection = StatisticsConnection(endpoint)
        try:
            [row] = self._connection.rows(
                "SELECT to_regclass('pg_catalog.pg_stat_checkpointer') IS NOT NULL AS v17,"
                " 'pg_stat_statements' = ANY(string_to_array("
                "replace(current_setting('shared_preload_libraries'), ' ', ''), ','))"
                " AS preloaded"
            )
        except BaseException:
            self._connection.close()
            raise
        checkpoints = _CHECKPOINTER_SQL if row["v17"] else _BGWRITER_SQL
        # One round trip a reading: each costs the server a wake-up, and a client
        # thread sharing the interpreter lock with the load a hand-over or two.
        self._sql = f"SELECT * FROM ({_DATABASE_SQL}) d, ({_TABLES_SQL}) t, ({checkpoints}) c"
        self._preloaded = bool(row["preloaded"])
        """pg_stat_statements answers only when preloaded (which takes a restart); asking
        otherwise would log an error on the server at every reading."""

    def read(self) -> Sequence[MetricReading]:
        prefix = self.name
        found = []
        has_statements = False
        for row in self._connection.rows(self._sql):
            for metrics in (DATABASE, TABLES, CHECKPOINTS):
                found += readings(prefix, metrics, row)
            has_statements = bool(row["has_statements"])
        if has_statements and self._preloaded:
            found += self._statements(prefix)
        return found

    def _statements(self, prefix: str) -> list[MetricReading]:
        found = []
        for row in self._connection.optional_rows(_STATEMENT_TOTALS_SQL):
            found += readings(prefix, STATEMENTS, row)
        for row in self._connection.optional_rows(_TOP_STATEMENTS_SQL):
            # The statement's text stays out of the name: it may hold a literal a user
            # typed. Its id is stable for one server and statement.
            label = f"statement_{int(str(row['queryid'])) & 0xFFFFFFFFFFFFFFFF:016x}"
            found += readings(prefix, _one_statement(label), row)
        return found

    def close(self) -> None:
        self._connection.close()


def _one_statement(label: str) -> dict[str, Metric]:
    return {
        "calls": counter(f"{label}.calls", "operations"),
        "exec_time": counter(f"{label}.exec_time_s", "s", 0.001),
    }
