"""Each SQL dialect's settling statements, and the error in MariaDB's answer rows."""

from __future__ import annotations

from pathlib import Path

from bakeoff.adapters.protocol import TableSpec
from bakeoff.adapters.sql import SqlAdapter
from bakeoff.adapters.sql_settle import answer_error, settle_statements
from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.embedded import EmbeddedProvisioner


def test_each_dialect_quotes_its_table_where_the_template_says() -> None:
    sql = {
        d: [s.sql('"usertable"') for s in settle_statements(d)] for d in ("postgresql", "duckdb")
    }
    assert sql == {
        "postgresql": ['VACUUM (ANALYZE) "usertable"'],
        "duckdb": ["CHECKPOINT", 'ANALYZE "usertable"'],
    }
    assert all(s.purpose for d in ("mysql", "sqlite") for s in settle_statements(d))


def test_a_dialect_bakeoff_knows_nothing_for_has_no_statements() -> None:
    assert settle_statements("oracle") == ()


def test_mariadb_reports_a_failed_analyze_in_its_answer_rows() -> None:
    ok = [("bakeoff.usertable", "analyze", "status", "OK")]
    assert answer_error(ok) is None
    failed = [
        ("bakeoff.gone", "analyze", "Error", "Table 'bakeoff.gone' doesn't exist"),
        ("bakeoff.gone", "analyze", "status", "Operation failed"),
    ]
    assert answer_error(failed) == "Table 'bakeoff.gone' doesn't exist"
    assert answer_error([(0, 12, 12)]) is None  # SQLite's checkpoint answer


def test_the_table_name_is_quoted_by_the_dialect(tmp_path: Path) -> None:
    """A table named as a reserved word settles on the real SQLite: the dialect quotes it."""
    table = TableSpec(name="order", field_names=("field0",), max_field_length=8)
    with EmbeddedProvisioner(engine_spec("sqlite"), parent_dir=tmp_path) as endpoint:
        adapter = SqlAdapter()
        adapter.connect(endpoint, {})
        try:
            adapter.setup(table)
            adapter.insert_batch(table.name, [(f"k{i}", {"field0": "v"}) for i in range(10)])
            assert adapter.settle(table) == 'ANALYZE "order"; PRAGMA wal_checkpoint(TRUNCATE)'
            assert adapter.count_records(table.name) == 10
        finally:
            adapter.close()
