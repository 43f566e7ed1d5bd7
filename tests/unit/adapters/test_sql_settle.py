"""Each SQL dialect's settling statements, and the error in MariaDB's answer rows."""

from __future__ import annotations

from bakeoff.adapters.sql_settle import answer_error, settle_statements


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
