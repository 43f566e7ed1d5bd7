"""The report's "Failed operations" section: there when an operation failed, with how
long the failures took; absent otherwise."""

from __future__ import annotations

from pathlib import Path

from bakeoff.report.build import build_report
from bakeoff.report.html import render_html
from bakeoff.report.markdown import render_markdown
from bakeoff.results.writer import RunWriter
from tests.unit.results.test_error_latency import run_with_errors
from tests.unit.results.test_store import trial_record


def test_failed_operations_and_their_latency_are_reported(tmp_path: Path) -> None:
    report = build_report(run_with_errors(tmp_path))
    markdown = render_markdown(report, [], {})
    section = markdown.split("### Failed operations", 1)[1]
    lines = [line for line in section.splitlines() if line.startswith("| ycsb")]
    assert len(lines) == 2
    fatal, transient = (line.split("|")[1:-1] for line in lines)
    assert [c.strip() for c in transient[:6]] == [
        "ycsb-a", "postgres", "read", "transient", "service", "1",
    ]  # fmt: skip
    assert transient[8].strip().startswith("5.00") and transient[8].strip().endswith(" s")
    assert [c.strip() for c in fatal[3:6]] == ["fatal", "service", "2"]
    assert 'id="failed-operations"' in render_html(report, [], {})


def test_no_section_without_failures(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path, run_id="clean")
    writer.add_trial(trial_record())
    report = build_report(writer.finish("ok"))
    assert "Failed operations" not in render_markdown(report, [], {})
