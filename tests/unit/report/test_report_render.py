"""HTML and Markdown: their tables, parsed back, hold the numbers of the Parquet store."""

from __future__ import annotations

import csv
import importlib
import json
import math
import re
from collections.abc import Callable, Mapping
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from bakeoff.core.histogram import merge_encoded, percentiles_us
from bakeoff.report.commands import app, plots_folder, render_reports
from bakeoff.report.plots import SHIPPED_COLORS, engine_colors, shades
from bakeoff.results import load, summarize
from bakeoff.results.summary import TOTAL
from bakeoff.workloads.model import Workload

# The store-writing helpers live with the model tests; imported by name because the test
# folders are not packages.
_model_tests = importlib.import_module("test_report_model")
ENGINES: Mapping[str, object] = _model_tests.ENGINES
WORKLOAD: Workload = _model_tests.WORKLOAD
EngineShape: Callable[..., object] = _model_tests.EngineShape
write_run: Callable[..., Path] = _model_tests.write_run

FIELDS = ("ops_per_s", "p50_us", "p99_us", "p999_us", "max_us", "errors")
MARKDOWN_COLUMNS = (
    "ops_per_s",
    "share",
    "p50_us",
    "p99_us",
    "p999_us",
    "max_us",
    "errors",
    "checks",
)


class TableParser(HTMLParser):
    """Rows of every summary table: (workload, kind, operation, engine) → cells."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[tuple[str, str, str, str], dict[str, dict[str, str]]] = {}
        self.sections: dict[str, list[list[str]]] = {}
        self._table: tuple[str, str] | None = None
        self._row: tuple[str, str] | None = None
        self._cell: dict[str, str] | None = None
        self._text: list[str] = []
        self._section: str | None = None
        self._plain_row: list[str] | None = None
        self._in_ci = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "table" and "summary" in a.get("class", "").split():
            self._table = (a["data-workload"], a["data-kind"])
        elif tag == "table" and "data-section" in a:
            self._section = a["data-section"]
            self.sections.setdefault(self._section, [])
        elif tag == "tr" and self._table and "data-engine" in a:
            self._row = (a["data-operation"], a["data-engine"])
        elif tag == "tr" and self._section:
            self._plain_row = []
        elif tag == "td" and self._row and "data-field" in a:
            self._cell = {"field": a["data-field"], "value": a["data-value"], "text": "", "ci": ""}
            self._text = []
        elif tag == "span" and self._cell is not None and "ci" in a.get("class", ""):
            self._cell["low"], self._cell["high"] = a["data-low"], a["data-high"]
            self._in_ci = True
        elif tag == "td" and self._plain_row is not None:
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self._in_ci:
            self._in_ci = False
        elif tag == "td" and self._cell is not None and self._row and self._table:
            key = (*self._table, *self._row)
            self.tables.setdefault(key, {})[self._cell["field"]] = self._cell
            self._cell = None
        elif tag == "td" and self._plain_row is not None:
            self._plain_row.append("".join(self._text).strip())
        elif tag == "tr" and self._plain_row is not None and self._section:
            if self._plain_row:
                self.sections[self._section].append(self._plain_row)
            self._plain_row = None
        elif tag == "tr":
            self._row = None
        elif tag == "table":
            self._table = None
            self._section = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell["ci" if self._in_ci else "text"] += data
        else:
            self._text.append(data)


def parse_number(text: str) -> float:
    text = text.strip().replace(",", "").replace("*", "")
    return math.nan if text in ("–", "") else float(text)


def close(displayed: float, expected: float) -> bool:
    # The tables show 3-5 significant digits (see format_number).
    if math.isnan(expected):
        return math.isnan(displayed)
    return math.isclose(displayed, expected, rel_tol=6e-3, abs_tol=6e-3)


Expected = dict[tuple[str, str, str], dict[str, float]]


def expected_rows(paths: list[Path]) -> Expected:
    """What the store says, computed without the report code: summarize() per trial, the
    median trial's throughput times each operation's share, latencies from the merge of
    every histogram, errors summed. Keyed by (workload, operation, engine)."""
    samples = load(paths)
    measured = samples[(samples["phase"] == "measure") & (samples["latency_kind"] == "service")]
    per_trial = summarize(samples)
    out: Expected = {}
    for (workload, engine), part in per_trial.groupby(["workload", "engine"]):
        totals = part[part["operation"] == TOTAL]
        for operation, rows in part.groupby("operation"):
            share = rows["count"].sum() / totals["count"].sum()
            pooled = measured[measured["engine"] == engine]
            if operation != TOTAL:
                pooled = pooled[pooled["operation"] == operation]
            values = dict(percentiles_us(merge_encoded(h for h in pooled["histogram"] if h)))
            values["ops_per_s"] = float(totals["ops_per_s"].median()) * share
            values["low"] = float(totals["ops_per_s"].min()) * share
            values["high"] = float(totals["ops_per_s"].max()) * share
            values["errors"] = float(rows["errors"].sum())
            out[(str(workload), str(operation), str(engine))] = values
    return out


@pytest.fixture
def runs(tmp_path: Path) -> list[Path]:
    return [write_run(tmp_path / "results", run_id="r1", repetitions=3)]


def test_html_tables_match_the_store(runs: list[Path], tmp_path: Path) -> None:
    html = tmp_path / "out" / "report.html"
    render_reports(runs, html=html)
    parser = TableParser()
    parser.feed(html.read_text())
    expected = expected_rows(runs)
    assert len(parser.tables) == len(expected) == 6
    for (workload, kind, operation, engine), cells in parser.tables.items():
        assert kind == "service"
        want = expected[(workload, operation, engine)]
        for field in FIELDS:
            cell = cells[field]
            exact = float(cell["value"])
            assert exact == pytest.approx(want[field], rel=1e-12, abs=1e-12), field
            assert close(parse_number(cell["text"]), want[field]), (field, cell)
        # Three repetitions: their range is shown and brackets the median.
        low, high = float(cells["ops_per_s"]["low"]), float(cells["ops_per_s"]["high"])
        assert low <= float(cells["ops_per_s"]["value"]) <= high
        assert (low, high) == pytest.approx((want["low"], want["high"]), rel=1e-12)
        shown_low, shown_high = cells["ops_per_s"]["ci"].split("–")
        assert close(parse_number(shown_low), low) and close(parse_number(shown_high), high)


def markdown_rows(text: str, heading: str) -> dict[tuple[str, str], list[str]]:
    lines = text.splitlines()
    start = lines.index(heading)
    rows: dict[tuple[str, str], list[str]] = {}
    table = False
    for line in lines[start + 1 :]:
        if line.startswith("|"):
            table = True
            cells = [c.strip() for c in line.strip("|").split("|")]
            if cells[0] in ("operation", "---"):
                continue
            operation = TOTAL if cells[0] == "all operations" else cells[0]
            rows[(operation, cells[1])] = cells[2:]
        elif table:
            break
    return rows


def test_markdown_tables_match_the_store(runs: list[Path], tmp_path: Path) -> None:
    md = tmp_path / "out" / "report.md"
    render_reports(runs, markdown=md)
    text = md.read_text()
    rows = markdown_rows(text, "### Summary: service time")
    expected = expected_rows(runs)
    assert len(rows) == len(expected)
    for (operation, engine), cells in rows.items():
        want = expected[(WORKLOAD.name, operation, engine)]
        shown = dict(zip(MARKDOWN_COLUMNS, cells, strict=True))
        for field in FIELDS:
            cell = shown[field]
            value = re.sub(r"\s*\(.*\)$", "", cell)
            assert close(parse_number(value), want[field]), (field, cell)
        assert re.search(r"\(([\d.,]+)–([\d.,]+)\)$", cells[0]), cells[0]
    # Plots: PNG files beside the Markdown, linked relatively.
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(links) == 4
    for link in links:
        assert link.startswith("report-plots/")
        assert (md.parent / link).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plots_folder(md) == md.parent / "report-plots"


def test_single_repetition_shows_no_interval(tmp_path: Path) -> None:
    run = write_run(tmp_path, run_id="once", repetitions=1)
    html, md = tmp_path / "r.html", tmp_path / "r.md"
    render_reports([run], html=html, markdown=md)
    parser = TableParser()
    parser.feed(html.read_text())
    for cells in parser.tables.values():
        assert all(cell["ci"] == "" for cell in cells.values())
    for line in markdown_rows(md.read_text(), "### Summary: service time").values():
        assert "(" not in line[0]
    expected = expected_rows([run])
    for (workload, _, operation, engine), cells in parser.tables.items():
        want = expected[(workload, operation, engine)]
        assert float(cells["ops_per_s"]["value"]) == pytest.approx(want["ops_per_s"], rel=1e-12)
        assert float(cells["p999_us"]["value"]) == want["p999_us"]


def test_methodology_lists_each_engines_knobs_side_by_side(
    runs: list[Path], tmp_path: Path
) -> None:
    html, md = tmp_path / "r.html", tmp_path / "r.md"
    render_reports(runs, html=html, markdown=md)
    parser = TableParser()
    parser.feed(html.read_text())
    engines = {row[0]: row[1:] for row in parser.sections["engines"]}
    assert engines["version"] == ["FastDB 3.1", "SlowDB 9"]
    assert engines["synchronous"] == ["normal", "not set"]
    assert engines["fsync"] == ["not set", "on"]
    assert engines["cache_size"] == ["2000", "not set"]
    assert engines["CPU limit"] == ["none: in the benchmark's own process", "2"]
    assert engines["image digest"] == ["–", "slowdb@sha256:abc123"]
    page = html.read_text()
    assert page.count('class="marked"') == 2  # synchronous, fsync
    for needle in ("Service time", "Runs", "Hosts", "Client libraries", "spec hash"):
        assert needle in page
    text = md.read_text()
    assert "| **synchronous** ⚑ | normal | not set |" in text
    assert "| **fsync** ⚑ | not set | on |" in text
    assert "| cache\\_size | 2000 | not set |" in text


def test_credentials_never_appear(tmp_path: Path) -> None:
    secret = "s3cret-Pa55"  # noqa: S105 - bait the report must never print
    shapes = {
        "fastdb": EngineShape(
            {"read": 20.0}, rate=100, settings={"password": secret, "synchronous": "full"}
        )
    }
    run = write_run(
        tmp_path,
        run_id="cred",
        repetitions=2,
        engines=shapes,
        command=["bakeoff", "run", "mix", "--url", f"postgresql://bench:{secret}@db:5432/x"],
        endpoint=f"postgresql://bench:{secret}@db:5432/x?password={secret}",
    )
    out = tmp_path / "out"
    written = render_reports(
        [run],
        html=out / "r.html",
        markdown=out / "r.md",
        csv=out / "r.csv",
        benchmark_json=out / "r.json",
    )
    assert len(written) == 4
    for path in written:
        assert secret not in path.read_text(), path
    for image in (out / "r-plots").iterdir():
        assert secret.encode() not in image.read_bytes()


def test_values_are_escaped(tmp_path: Path) -> None:
    nasty = Workload(
        name="x",
        description="<script>alert('x')</script> | *bold* [link](http://example.invalid)",
        operations=WORKLOAD.operations,
    )
    run = write_run(tmp_path, run_id="esc", repetitions=1, workload=nasty)
    html, md = tmp_path / "r.html", tmp_path / "r.md"
    render_reports([run], html=html, markdown=md, title="<b>title</b> & co")
    page = html.read_text()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<b>title</b>" not in page and "&lt;b&gt;title&lt;/b&gt; &amp; co" in page
    text = md.read_text()
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "[link](" not in text and "\\[link\\](" in text
    assert "\\*bold\\*" in text and " \\| " in text


def test_html_is_self_contained(runs: list[Path], tmp_path: Path) -> None:
    html = tmp_path / "r.html"
    render_reports(runs, html=html)
    page = html.read_text()
    assert page.startswith("<!DOCTYPE html>")
    for needle in ("<script", "<link", "<img", "@import", "url(http", 'src="http', 'href="http'):
        assert needle not in page
    assert page.count("<svg ") == 4 and page.count("<figure") == 4
    assert "@media print" in page
    # Each plot's SVG ids are its own, so several SVGs in one page never collide.
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))


def test_rendering_twice_gives_the_same_files(runs: list[Path], tmp_path: Path) -> None:
    first = [p.read_bytes() for p in render_reports(runs, html=tmp_path / "a.html")]
    second = [p.read_bytes() for p in render_reports(runs, html=tmp_path / "a.html")]
    assert first == second


def test_default_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    one = write_run(tmp_path / "results", run_id="one", repetitions=1)
    written = render_reports([one])
    assert written == [one / "report.html", one / "report.md"]
    assert (one / "report-plots").is_dir()
    two = write_run(tmp_path / "results", run_id="two", repetitions=1, seed=3)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    written = render_reports([one, two])
    assert written == [elsewhere / "report.html", elsewhere / "report.md"]


def test_the_report_command(runs: list[Path], tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "cli"
    result = runner.invoke(
        app,
        [
            str(runs[0]),
            "--html",
            str(out / "r.html"),
            "--csv",
            str(out / "r.csv"),
            "--title",
            "Bake-off",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "<h1>Bake-off</h1>" in (out / "r.html").read_text()
    with open(out / "r.csv", newline="") as f:
        assert len(list(csv.DictReader(f))) == 6
    assert not (out / "r.md").exists()

    missing = runner.invoke(app, [str(tmp_path / "nope")])
    assert missing.exit_code == 2
    assert "no such run directory" in missing.output


def test_engine_colours_match_between_table_and_plots(runs: list[Path], tmp_path: Path) -> None:
    html = tmp_path / "r.html"
    render_reports(runs, html=html)
    page = html.read_text()
    swatches = dict(
        re.findall(r'<span class="swatch" style="background:(#[0-9a-f]{6})"></span>(\w+)', page)
    )
    colours = {engine: colour for colour, engine in swatches.items()}
    assert set(colours) == set(ENGINES)
    # The first plot's lines are drawn in the same colours.
    first_svg = page[page.index("<svg ") : page.index("</svg>")]
    for colour in colours.values():
        assert f"stroke: {colour}" in first_svg


def test_benchmark_json_and_csv_from_render(runs: list[Path], tmp_path: Path) -> None:
    written = render_reports(runs, csv=tmp_path / "s.csv", benchmark_json=tmp_path / "b.json")
    assert [p.name for p in written] == ["s.csv", "b.json"]
    document = json.loads((tmp_path / "b.json").read_text())
    assert len(document["benchmarks"]) == 6
    assert not (tmp_path / "report.html").exists()
    assert np.isfinite([b["stats"]["mean"] for b in document["benchmarks"]]).all()


def test_plots_stay_with_their_workload(tmp_path: Path) -> None:
    # "ycsb" is a prefix of "ycsb-a": plots must not be matched by name.
    for name in ("ycsb", "ycsb-a"):
        workload = Workload(name=name, operations=WORKLOAD.operations)
        write_run(tmp_path / "results", run_id=f"run-{name}", repetitions=1, workload=workload)
    html, md = tmp_path / "r.html", tmp_path / "r.md"
    render_reports([tmp_path / "results"], html=html, markdown=md)
    page = html.read_text()
    first = page[page.index('id="workload-ycsb"') : page.index('id="workload-ycsb-a"')]
    second = page[page.index('id="workload-ycsb-a"') : page.index('id="methodology"')]
    assert first.count("<figure") == second.count("<figure") == 4
    assert 'data-plot="ycsb-throughput"' in first and "ycsb-a-" not in first
    text = md.read_text()
    assert text.count("](r-plots/ycsb-a-") == 4
    assert text.count("](r-plots/ycsb-") == 8


def test_an_engine_keeps_its_colour_in_every_report() -> None:
    alone = engine_colors(["redis"])
    assert engine_colors(["sqlite", "postgres", "redis"])["redis"] == alone["redis"]
    assert engine_colors(["duckdb", "redis"])["redis"] == alone["redis"]
    shipped = list(SHIPPED_COLORS)
    assert len(set(engine_colors(shipped).values())) == len(shipped)
    # A plugin's colour comes from its name, whatever else the report holds.
    assert engine_colors(["dictstore"]) == {
        "dictstore": engine_colors(["a", "dictstore"])["dictstore"]
    }


def test_caveats_open_the_report(
    runs: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    html, md = tmp_path / "r.html", tmp_path / "r.md"
    render_reports(runs, html=html, markdown=md)
    # The fixture's engines run one in process and one in a container, one limited.
    assert "placement differs" in html.read_text() and "limits differ" in md.read_text()
    caveats = ["redis runs without persistence; postgres <fsyncs> every commit"]
    monkeypatch.setattr("bakeoff.report.caveats.caveats", lambda manifest: caveats)
    render_reports(runs, html=html, markdown=md)
    page = html.read_text()
    block = page[page.index('id="read-this-first"') : page.index('id="checks"')]
    assert "postgres &lt;fsyncs&gt; every commit" in block
    assert page.index("Read this first") < page.index("<main>")
    text = md.read_text()
    assert text.index("## Read this first") < text.index("## Workload")
    assert "- redis runs without persistence; postgres &lt;fsyncs&gt; every commit" in text


def test_a_single_operation_gets_one_table_and_no_duplicate_panel(tmp_path: Path) -> None:
    # ycsb-c's report once showed its read table twice: as "read" and as "all operations".
    reads = Workload(name="reads", operations={"read": 1.0})
    shapes = {"fastdb": EngineShape({"read": 20.0}, rate=200)}
    run = write_run(tmp_path, run_id="c", repetitions=1, workload=reads, engines=shapes)
    html = tmp_path / "r.html"
    render_reports([run], html=html)
    parser = TableParser()
    parser.feed(html.read_text())
    assert {operation for (_, _, operation, _) in parser.tables} == {"read"}
    page = html.read_text()
    assert "read (all ops)" in page and "all operations</text>" not in page


def test_models_of_one_engine_get_shades_of_its_colour() -> None:
    labels = ["postgres/normalised", "postgres/jsonb", "sqlite/normalised", "redis/hashes"]
    colors = engine_colors(labels)
    assert len(set(colors.values())) == len(labels)
    assert colors == engine_colors(list(reversed(labels)))  # fixed, whatever the order
    assert colors["redis/hashes"] in shades(SHIPPED_COLORS["redis"])
    assert {colors["postgres/normalised"], colors["postgres/jsonb"]} <= set(
        shades(SHIPPED_COLORS["postgres"])
    )


def test_hosts_show_how_slow_idle_cpus_were_to_wake(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    probe = {"wakeup_round_trip_p50_us": 47.5, "wakeup_idle_entries_per_round_trip": 2.0}
    monkeypatch.setattr("bakeoff.results.provenance.wakeup_indicator", lambda: probe)
    run = write_run(tmp_path / "results", run_id="r1", repetitions=1)
    md = tmp_path / "r.md"
    render_reports([run], markdown=md)
    text = md.read_text()
    assert "idle CPU wake-up" in text
    assert "round trip p50 47.5 µs, 2 idle entries per round trip" in text
