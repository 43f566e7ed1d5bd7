"""Terminal, summarize() (through figures()), HTML, Markdown, CSV and JSON show the same
figure for every engine × operation of one run."""

from __future__ import annotations

import csv
import importlib
import json
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from bakeoff.cli.common import stdout
from bakeoff.cli.summary import print_summary
from bakeoff.core.formats import format_number
from bakeoff.report.build import build_report
from bakeoff.report.commands import render_reports
from bakeoff.results import load
from bakeoff.results.figures import FIGURE_COLUMNS, repetition_figures
from bakeoff.results.summary import TOTAL

write_run: Callable[..., Path] = importlib.import_module("test_report_model").write_run

SHOWN = ("ops_per_s", "p50_us", "p99_us", "p999_us", "max_us", "errors")
Key = tuple[str, str]
"""(operation, engine)."""


class Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[Key, dict[str, float]] = {}
        self._row: Key | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "tr" and "data-engine" in a:
            self._row = (a["data-operation"], a["data-engine"])
            self.rows[self._row] = {}
        elif tag == "td" and self._row and "data-field" in a:
            self.rows[self._row][a["data-field"]] = float(a["data-value"])
        elif tag == "span" and self._row and "data-low" in a:
            self.rows[self._row]["ops_low"] = float(a["data-low"])
            self.rows[self._row]["ops_high"] = float(a["data-high"])


def terminal_rows(text: str) -> dict[Key, list[str]]:
    """(operation, engine) → its cells; the ops/s spread is on the line under the row."""
    rows: dict[Key, list[str]] = {}
    operation, last = "", None
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if len(cells) < 5 or cells[1] == "engine":
            continue
        if cells[1] == "" and last is not None:
            rows[last].append(cells[2])
            continue
        operation = cells[0] or operation
        op = TOTAL if operation == "all operations" else operation
        last = (op, cells[1])
        rows[last] = cells[2:]
    return rows


@pytest.fixture
def run(tmp_path: Path) -> Path:
    return write_run(tmp_path / "results", run_id="agree", repetitions=3)


def test_every_output_shows_the_same_figures(
    run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = repetition_figures(load(run))
    reference = reference[reference["latency_kind"] == "service"]
    want = {(str(r["operation"]), str(r["engine"])): r for r in reference.to_dict("records")}
    assert len(want) == 6

    # The report's own figures are the reference's, bit for bit.
    report = build_report(run)
    pd.testing.assert_frame_equal(
        report.figures.sort_values(["operation", "engine"]).reset_index(drop=True),
        reference.sort_values(["operation", "engine"]).reset_index(drop=True),
        check_exact=True,
    )

    out = tmp_path / "out"
    render_reports(
        [run],
        html=out / "r.html",
        markdown=out / "r.md",
        csv=out / "r.csv",
        benchmark_json=out / "r.json",
    )
    html = Cells()
    html.feed((out / "r.html").read_text())
    with open(out / "r.csv", newline="") as f:
        csv_rows = {(r["operation"], r["engine"]): r for r in csv.DictReader(f)}
    benchmarks = {
        (b["params"]["operation"], b["params"]["engine"]): b
        for b in json.loads((out / "r.json").read_text())["benchmarks"]
    }
    markdown = {
        (TOTAL if c[0] == "all operations" else c[0], c[1]): c[2:]
        for line in (out / "r.md").read_text().splitlines()
        if line.startswith("| ")
        and (c := [x.strip() for x in line.strip("|").split("|")])
        and c[0] in ("read", "update", "all operations")
    }
    monkeypatch.setattr(stdout, "width", 250)
    with stdout.capture() as captured:
        print_summary(run)
    terminal = terminal_rows(captured.get())

    for key, figure in want.items():
        for column in SHOWN:
            assert html.rows[key][column] == figure[column], (key, column)
            assert float(csv_rows[key][column]) == figure[column], (key, column)
        assert (html.rows[key]["ops_low"], html.rows[key]["ops_high"]) == (
            figure["ops_low"],
            figure["ops_high"],
        )
        for column in FIGURE_COLUMNS[6:]:
            text = csv_rows[key][column]
            value = figure[column]
            if isinstance(value, bool) or value is None:
                assert text == {True: "true", False: "false", None: ""}[value], column
            elif isinstance(value, float):
                assert float(text) == value, column
            else:
                assert text == str(value), column
        extra, stats = benchmarks[key]["extra_info"], benchmarks[key]["stats"]
        assert extra["ops_per_s"] == figure["ops_per_s"] == stats["ops"]
        assert extra["p99_s"] == pytest.approx(figure["p99_us"] / 1e6, rel=1e-12)
        assert stats["max"] == pytest.approx(figure["max_us"] / 1e6, rel=1e-12)
        md = markdown[key]
        assert re.sub(r" \(.*\)$", "", md[0]) == format_number(figure["ops_per_s"])
        assert md[2:6] == [format_number(figure[c]) for c in SHOWN[1:5]]
        shown = terminal[key]
        assert shown[0] == format_number(figure["ops_per_s"])
        assert shown[2:6] == [format_number(figure[c]) for c in SHOWN[1:5]]
        assert shown[6] == f"{figure['errors']:,}"
        assert (
            shown[-1] == f"{format_number(figure['ops_low'])}–{format_number(figure['ops_high'])}"
        )


def test_the_terminal_prints_the_checks_of_the_report(
    run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = build_report(run)
    assert report.checks
    monkeypatch.setattr(stdout, "width", 250)
    with stdout.capture() as captured:
        print_summary(run)
    text = captured.get()
    for check in report.checks:
        assert check in text
