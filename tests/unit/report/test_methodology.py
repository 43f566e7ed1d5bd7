"""The methodology section's engine table: what ran on the table after the load."""

from __future__ import annotations

from pathlib import Path

from bakeoff.report.build import build_report
from bakeoff.report.markdown import render_markdown
from bakeoff.report.methodology import methodology
from tests.unit.report.test_report_model import write_run

SETTLED = {
    "fastdb": {"settled": True, "statements": "VACUUM (ANALYZE) usertable", "seconds": 0.3},
    "slowdb": {"settled": False, "why_not": "switched off (--no-settle)"},
}


def test_the_engines_table_says_what_ran_after_the_load(tmp_path: Path) -> None:
    run = write_run(
        tmp_path,
        run_id="run-s",
        repetitions=1,
        load_generators={engine: {"settle": settle} for engine, settle in SETTLED.items()},
    )
    report = build_report(run, workers=0)
    (engines,) = [s for s in methodology(report) if s.slug == "engines"]
    (table,) = engines.tables
    (row,) = [r for r in table.rows if r[0] == "after the load"]
    by_engine = dict(zip(table.columns[1:], row[1:], strict=True))
    assert by_engine == {
        "fastdb": "VACUUM (ANALYZE) usertable",
        "slowdb": "none: switched off (--no-settle)",
    }
    assert any("pgbench -i" in paragraph for paragraph in engines.paragraphs)
    assert "VACUUM (ANALYZE) usertable" in render_markdown(report, (), {})
