"""The report's Query plans section: full scans flagged, raw plans collapsible in HTML,
and engines without plans named."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from bakeoff.core.query_plans import AccessPath, QueryPlan
from bakeoff.report.build import build_report
from bakeoff.report.html import render_html
from bakeoff.report.markdown import render_markdown
from bakeoff.results.schema import MANIFEST_FILE
from bakeoff.results.writer import RunWriter
from tests.unit.results.test_store import trial_record

SCAN = QueryPlan(
    "read",
    "find",
    AccessPath.FULL_SCAN,
    "SCAN usertable_1",
    moment="after-run",
    raw="id=2 parent=0 notused=0 detail=SCAN usertable_1",
)


def _runs(tmp_path: Path) -> list[Path]:
    explained = RunWriter(tmp_path, run_id="explained")
    explained.add_trial(replace(trial_record(0), plans=(SCAN,)))
    key_value = RunWriter(tmp_path, run_id="kv")
    key_value.add_trial(replace(trial_record(0), engine="redis", adapter="redis"))
    return [explained.finish("ok"), key_value.finish("ok")]


def test_full_scans_are_flagged_and_key_value_engines_named(tmp_path: Path) -> None:
    report = build_report(_runs(tmp_path))

    markdown = render_markdown(report, [], {}).split("### Query plans", 1)[1]
    assert "Full scans: postgres read (ycsb-a)." in markdown.replace("\\", "")
    row = next(line for line in markdown.splitlines() if "SCAN usertable" in line)
    assert "⚠ full scan" in row and "⚑" in row
    assert "redis: no query plans (key-value)." in markdown

    html = render_html(report, [], {})
    assert 'id="query-plans"' in html
    assert '<tr class="marked"><td>ycsb-a</td><td>postgres</td><td>read</td>' in html
    assert '<details class="raw"><summary>postgres · ycsb-a · read · after-run</summary>' in html
    assert "detail=SCAN usertable_1</pre></details>" in html


def test_an_engine_that_explains_but_ran_before_plans_says_so(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path, run_id="old")
    writer.add_trial(trial_record(0))
    run = writer.finish("ok")
    manifest = json.loads((run / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest["trials"][0]["adapter"] == "sql"
    markdown = render_markdown(build_report(run), [], {})
    assert "postgres: no query plans (taken before plans were)." in markdown
