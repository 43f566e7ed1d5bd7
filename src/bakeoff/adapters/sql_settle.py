"""What each SQL engine documents for a table just bulk-loaded, run by `SqlAdapter.settle`.

PostgreSQL: ``VACUUM (ANALYZE)``, as ``pgbench -i`` does after its load: it sets the
rows' hint bits (otherwise the first read of each row sets them and dirties its page),
marks the pages all-visible in the visibility map, gathers the planner's statistics and
leaves autovacuum nothing to wake up for during the measurement. It cannot run inside a
transaction block; the adapter's connection is in autocommit mode (`SqlAdapter.connect`).
MariaDB/MySQL: ``ANALYZE TABLE`` (index statistics; it answers with rows, an error
among them). SQLite: ``ANALYZE`` (the statistics its planner reads), then a WAL
checkpoint, so reads find every page in the database file rather than in the log.
DuckDB: ``CHECKPOINT`` (the log into the database file) and ``ANALYZE`` (statistics).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

_NONE = ()


@dataclass(frozen=True)
class SettleStatement:
    """One statement of an engine's settling, and why it runs (named when it fails)."""

    template: str
    """The statement, with ``{table}`` where the quoted table name goes."""
    purpose: str
    answers: bool = False
    """It returns rows (read off, so the connection stays in step; MariaDB's carry errors)."""

    def sql(self, quoted_table: str) -> str:
        return self.template.format(table=quoted_table)


_BY_DIALECT: dict[str, tuple[SettleStatement, ...]] = {
    "postgresql": (
        SettleStatement(
            "VACUUM (ANALYZE) {table}",
            "set hint bits and the visibility map, gather the planner's statistics",
        ),
    ),
    "mysql": (
        SettleStatement("ANALYZE TABLE {table}", "refresh the index statistics", answers=True),
    ),
    "sqlite": (
        SettleStatement("ANALYZE {table}", "gather the planner's statistics"),
        SettleStatement(
            "PRAGMA wal_checkpoint(TRUNCATE)",
            "move the write-ahead log into the database file",
            answers=True,
        ),
    ),
    "duckdb": (
        SettleStatement("CHECKPOINT", "move the write-ahead log into the database file"),
        SettleStatement("ANALYZE {table}", "recompute the table's statistics"),
    ),
}
"""By SQLAlchemy dialect name (MariaDB's dialect is named mysql too)."""


def settle_statements(dialect: str) -> tuple[SettleStatement, ...]:
    """The statements that settle a table on `dialect`; none where bakeoff knows none."""
    return _BY_DIALECT.get(dialect, _NONE)


def answer_error(rows: Sequence[Sequence[object]]) -> str | None:
    """The error among MariaDB's ``ANALYZE TABLE`` answer rows (Table, Op, Msg_type,
    Msg_text), or None; other statements' answers carry none."""
    for row in rows:
        if len(row) == 4 and str(row[2]).lower() == "error":
            return str(row[3])
    return None
