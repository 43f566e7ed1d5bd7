"""The dashboard from telemetry a hand-made source gave: panels for every metric present,
hit ratios from hit/miss pairs, and per-operation costs that add up."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bakeoff.core.telemetry import MetricKind, TelemetryRow
from bakeoff.harness.trial import TrialRecord
from bakeoff.report import dashboard
from bakeoff.report.build import build_report
from bakeoff.report.markdown import render_markdown
from bakeoff.report.methodology import methodology
from bakeoff.report.plots import report_plots
from bakeoff.report.plots_dashboard import engine_panels, quiet_metrics
from bakeoff.results import RunWriter
from tests.unit.report.test_report_model import ENGINES, START, WORKLOAD, interval_rows, write_run

C, G = MetricKind.COUNTER, MetricKind.GAUGE
INTERVALS = 4


def _telemetry(engine_stats: bool) -> list[TelemetryRow]:
    rows = []
    for i in range(INTERVALS):
        width = 1.0 if i < INTERVALS - 1 else 0.3
        at = ("measure", i, float(i), width)
        rows += [
            TelemetryRow(*at, "container", "container.cpu_user_s", 0.02 * width, "s", C),
            TelemetryRow(*at, "container", "container.cpu_system_s", 0.01 * width, "s", C),
            TelemetryRow(*at, "container", "container.memory_anon_bytes", 8e6, "bytes", G),
            TelemetryRow(*at, "container", "container.io_read_bytes", 4096 * width, "bytes", C),
            TelemetryRow(*at, "container", "telemetry.read_s", 0.001 * width, "s", C),
        ]
        if engine_stats:
            rows += [
                TelemetryRow(*at, "handmade", "handmade.blks_hit", 90.0, "blocks", C),
                TelemetryRow(*at, "handmade", "handmade.blks_read", 10.0, "blocks", C),
                TelemetryRow(*at, "handmade", "handmade.pending", 3.0, "1", G),
                TelemetryRow(*at, "handmade", "handmade.deadlocks", 0.0, "1", C),
            ]
    rows.append(TelemetryRow("load", 0, 0.0, 1.0, "container", "container.cpu_user_s", 9, "s", C))
    return rows


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    writer = RunWriter(tmp_path, run_id="run-t")
    for trial, (engine, shape) in enumerate(ENGINES.items()):
        writer.add_trial(
            TrialRecord(
                trial=trial, repetition=0, engine=engine, engine_version=shape.version,
                workload=WORKLOAD, endpoint_display_url="x://", settings={}, provenance={},
                adapter="sql", connections=1, seed=1, started_at=START, ended_at=START,
                status="ok", error=None, verify={"ok": True},
                rows=interval_rows(rng, shape, INTERVALS),
                telemetry=_telemetry(engine_stats=engine == "slowdb"),
            )
        )  # fmt: skip
    return writer.finish("ok")


def test_panels_cover_every_metric_present(run_dir: Path) -> None:
    workload = build_report(run_dir, workers=0).workloads[0]
    slow = [p.title for p in engine_panels(workload, "slowdb")]
    assert slow == [
        "throughput (ops/s)",
        "p99 latency",
        "CPU (cores)",
        "memory (MiB)",
        "disk (MiB/s)",
        "cache hit ratio",
        "handmade.blks_hit (blocks/s)",
        "handmade.blks_read (blocks/s)",
        "handmade.pending (1)",
    ]
    fast = [p.title for p in engine_panels(workload, "fastdb")]
    assert "cache hit ratio" not in fast and "network (MiB/s)" not in fast
    ratios = dashboard.hit_ratios(workload.telemetry)
    assert set(ratios["metric"]) == {"handmade.blks_cache_hit_ratio"}
    assert ratios["level"].tolist() == pytest.approx([0.9] * INTERVALS)


def test_costs_per_operation(run_dir: Path) -> None:
    report = build_report(run_dir, workers=0)
    workload = report.workloads[0]
    assert set(workload.telemetry["phase"]) == {"measure"}  # the load's rows stay out
    rows = {row[0]: row for row in dashboard.cost_rows(workload)}
    samples = workload.throughput
    for engine in ("fastdb", "slowdb"):
        mine = samples[samples["engine"] == engine]
        ops = float((mine["ops_per_s"] * mine["duration_s"]).sum())
        seconds = INTERVALS - 1 + 0.3
        assert rows[engine][1] == f"{ops:,.0f}"
        assert rows[engine][2] == f"{0.03 * seconds / ops * 1e6:,.1f}"
        assert rows[engine][3] == f"{4096 * seconds / ops:,.1f}"
        assert rows[engine][4] == "–"  # no network metric: absent, not zero
        assert rows[engine][5] == "0.100%"
    sections = [s for s in methodology(report) if s.slug == "dashboard"]
    assert len(sections) == 1 and sections[0].tables[0].columns == dashboard.COST_COLUMNS


def test_the_report_shows_a_dashboard_per_engine(run_dir: Path) -> None:
    report = build_report(run_dir, workers=0)
    plots = report_plots(report)
    slugs = [p.slug for p in plots]
    assert "mix-dashboard-fastdb" in slugs and "mix-dashboard-slowdb" in slugs
    text = render_markdown(report, plots, {p.slug: f"{p.slug}.png" for p in plots})
    assert "Dashboard: what each operation cost" in text
    assert "mix-dashboard-slowdb.png" in text


def test_a_run_without_telemetry_has_no_dashboard(tmp_path: Path) -> None:
    report = build_report(write_run(tmp_path, run_id="plain", repetitions=1), workers=0)
    assert not any("dashboard" in p.slug for p in report_plots(report))
    assert not any(s.slug == "dashboard" for s in methodology(report))


def test_a_statistic_at_zero_throughout_is_named_not_drawn(run_dir: Path) -> None:
    report = build_report(run_dir, workers=0)
    workload = report.workloads[0]
    titles = [p.title for p in engine_panels(workload, "slowdb")]
    assert not any("deadlocks" in t for t in titles)
    assert quiet_metrics(workload, "slowdb") == ["handmade.deadlocks"]
    (plot,) = [p for p in report_plots(report) if p.slug == "mix-dashboard-slowdb"]
    assert plot.caption.endswith("Zero in every interval, so not drawn: deadlocks.")
