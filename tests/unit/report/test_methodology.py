"""The methodology section's engine table: what ran on the table after the load."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bakeoff.harness.trial import TrialRecord
from bakeoff.report.build import build_report
from bakeoff.report.markdown import render_markdown
from bakeoff.report.methodology import methodology
from bakeoff.results import RunWriter
from tests.unit.report.test_report_model import ENGINES, START, WORKLOAD, interval_rows

SETTLED = {
    "fastdb": {"settled": True, "statements": "VACUUM (ANALYZE) usertable", "seconds": 0.3},
    "slowdb": {"settled": False, "why_not": "switched off (--no-settle)"},
}


def test_the_engines_table_says_what_ran_after_the_load(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    writer = RunWriter(tmp_path, run_id="run-s")
    for trial, (engine, shape) in enumerate(ENGINES.items()):
        writer.add_trial(
            TrialRecord(
                trial=trial, repetition=0, engine=engine, engine_version=shape.version,
                workload=WORKLOAD, endpoint_display_url="x://", settings={}, provenance={},
                adapter="sql", connections=1, seed=1, started_at=START, ended_at=START,
                status="ok", error=None, verify={"ok": True},
                rows=interval_rows(rng, shape, 4),
                load_generator={"settle": SETTLED[engine]},
            )
        )  # fmt: skip
    report = build_report(writer.finish("ok"), workers=0)
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
