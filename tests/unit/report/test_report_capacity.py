"""The report's "Capacity" section: there when a run searched or swept, in HTML and
Markdown, with each engine's maximum, its USL fit and the step history; absent
otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from bakeoff.report.build import build_report
from bakeoff.report.commands import render_reports
from bakeoff.report.html import render_html
from bakeoff.report.markdown import render_markdown
from bakeoff.report.plots import report_plots, to_svg
from bakeoff.report.plots_capacity import CAPACITY_PLOTS, latency_points
from bakeoff.results.reader import read_run
from bakeoff.results.sweep_points import run_points, usl_points
from bakeoff.results.writer import RunWriter
from tests.unit.report.capacity_runs import KAPPA, SIGMA, rate_sweep_run, sweep_and_search_run
from tests.unit.results.test_store import trial_record


@pytest.fixture(scope="module")
def capacity_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sweep_and_search_run(tmp_path_factory.mktemp("results"))


def test_points_take_throughput_cpu_and_memory_from_the_trials(capacity_run: Path) -> None:
    points = run_points(read_run(capacity_run))
    assert len(points) == 14 + 5
    sweep = points[~points["open_loop"]]
    assert sorted(set(sweep["connections"])) == [1, 2, 4, 8, 16, 32, 64]
    assert (sweep["engine_cpu_per_1k_ops"].round(6) == 0.2).all()
    steps = points[points["open_loop"]]
    assert list(steps["rate"]) == [1000.0, 2000.0, 4000.0, 8000.0, 6000.0]
    assert (steps["latency_kind"] == "response").all()
    usl = usl_points(points)
    assert len(usl) == 14 and set(usl["series"]) == {"redis"}


def test_the_fit_over_the_sweep_recovers_sigma_and_kappa(capacity_run: Path) -> None:
    report = build_report(capacity_run)
    assert report.capacity is not None
    fit = report.capacity.fits["redis"]
    assert abs(fit.sigma - SIGMA) <= 0.1 * SIGMA
    assert abs(fit.kappa - KAPPA) <= 0.1 * KAPPA
    assert fit.interval_method == "bootstrap"


def test_markdown_shows_the_table_notes_and_steps(capacity_run: Path) -> None:
    report = build_report(capacity_run)
    markdown = render_markdown(report, [], {})
    section = markdown.split("## Capacity", 1)[1].split("## Methodology", 1)[0]
    header, _, row = section.strip().splitlines()[:3]
    assert "max rate within SLO" in header and "CPU-s per 1k ops" in header
    cells = [c.strip() for c in row.split("|")[1:-1]]
    assert cells[0] == "redis"
    assert cells[1] == "4,000 (4,000–6,000)"
    assert cells[2] == "8"
    assert cells[3].startswith("0.05")
    assert cells[8] == "0.2"
    assert cells[9] == "48 MiB"
    assert "SLO p99&lt;=2ms,errors&lt;=1%" in section
    assert "bootstrap over the repetitions" in section
    assert "### Step history" in section
    assert "rejected: p99 9,000 µs &gt; SLO 2,000 µs; achieved 90% of target" in section


def test_html_has_the_section_its_plots_and_a_collapsible_step_history(
    capacity_run: Path,
) -> None:
    report = build_report(capacity_run)
    plots = report_plots(report)
    mine = [p for p in plots if p.workload == CAPACITY_PLOTS]
    assert [p.slug for p in mine] == ["capacity-latency-rate", "capacity-usl"]
    html = render_html(report, plots, {p.slug: to_svg(p) for p in plots})
    section = html.split('<section class="capacity" id="capacity">', 1)[1].split("</section>")[0]
    assert 'href="#capacity"' in html
    assert 'data-plot="capacity-usl"' in section
    assert 'data-plot="capacity-latency-rate"' in section
    assert '<details class="steps"><summary>Step history of redis: 5 steps</summary>' in section
    assert "rejected: p99 3,100 µs &gt; SLO 2,000 µs" in section


def test_both_formats_are_written(capacity_run: Path, tmp_path: Path) -> None:
    html, markdown = tmp_path / "r.html", tmp_path / "r.md"
    render_reports([capacity_run], html=html, markdown=markdown)
    assert (tmp_path / "r-plots" / "capacity-usl.png").is_file()
    assert "## Capacity" in markdown.read_text(encoding="utf-8")
    assert 'id="capacity"' in html.read_text(encoding="utf-8")


def test_no_section_without_search_or_sweep(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path, run_id="plain")
    writer.add_trial(trial_record())
    report = build_report(writer.finish("ok"))
    assert report.capacity is None
    assert "## Capacity" not in render_markdown(report, [], {})
    assert 'id="capacity"' not in render_html(report, [], {})


def test_a_rate_sweep_alone_draws_latency_and_says_why_there_is_no_fit(tmp_path: Path) -> None:
    report = build_report(rate_sweep_run(tmp_path))
    assert report.capacity is not None
    fit = report.capacity.fits["postgres"]
    assert not fit.fitted
    curve = latency_points(report.capacity)["postgres"]
    assert curve["rate"].tolist() == [500.0, 1000.0, 2000.0]
    assert curve["p99"].iloc[-1] > curve["p99"].iloc[0]
    plots = [p for p in report_plots(report) if p.workload == CAPACITY_PLOTS]
    assert [p.slug for p in plots] == ["capacity-latency-rate"]
    markdown = render_markdown(report, plots, {p.slug: f"{p.slug}.png" for p in plots})
    section = markdown.split("## Capacity", 1)[1].split("## Methodology", 1)[0]
    row = section.strip().splitlines()[2]
    cells = [c.strip() for c in row.split("|")[1:-1]]
    assert cells[:4] == ["postgres", "–", "4–8 (swept)", "–"]
    assert "postgres: no fit: 1 distinct connection count(s) (8)" in section
    assert "Step history" not in section
    assert 'id="capacity"' in render_html(report, plots, {p.slug: to_svg(p) for p in plots})
