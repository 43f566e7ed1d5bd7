"""Faults on a schedule against real engines: availability figures, lost acknowledged
writes, a degraded link through Toxiproxy, and nothing left behind (docs/faults.md).

Each trial measures a few seconds at 0.25 s intervals on small tables: the machine is
shared, so the checks are on what a fault must show, not on tight numbers."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from bakeoff.api import run_benchmark
from bakeoff.engines.images import docker_client
from bakeoff.engines.networks import PID_LABEL
from bakeoff.report.build import build_report
from bakeoff.report.html import render_html
from bakeoff.report.plots import report_plots, to_svg

pytestmark = pytest.mark.docker


def _bakeoff_containers() -> set[str]:
    client = docker_client()
    try:
        # This process's only: other test processes may start engines meanwhile.
        mine = f"{PID_LABEL}={os.getpid()}"
        found = client.containers.list(all=True, filters={"label": mine})
        return {str(c.id) for c in found}
    finally:
        client.close()


def _trial(path: Path) -> dict[str, Any]:
    manifest = json.loads((path / "manifest.json").read_text())
    trial: dict[str, Any] = manifest["trials"][0]
    return trial


def test_a_killed_redis_without_persistence_loses_acknowledged_writes(tmp_path: Path) -> None:
    before = _bakeoff_containers()
    result = run_benchmark(
        ["ycsb-a"],
        ["redis"],
        records=300,
        duration_s=3.0,
        warmup_s=0,
        interval_s=0.25,
        faults=("at=1.5s,kill,node=primary",),
        output=tmp_path,
    )
    assert result.ok, result.trials[0].error
    trial = _trial(result.path)
    (fault,) = trial["faults"]
    assert fault["applied"] and fault["started_s"] >= 1.5 and fault["ended_s"] >= 2.9
    (figures,) = trial["availability"]
    assert figures["detect_s"] is not None and figures["detect_s"] < 1.0
    assert figures["unavailable_s"] >= 1.0  # down to the end of the phase
    assert figures["recovery_s"] is None
    assert figures["resolution_s"] == 0.25
    lost = trial["lost_writes"]
    # Killed, then started again once the phase ended: a Redis without persistence comes
    # back empty, so every acknowledged write is lost. The count is the result.
    assert lost["acknowledged_writes"] > 0 and lost["keys_checked"] > 0
    assert lost["lost"] == lost["keys_checked"] and lost["stable"] == 0

    report = build_report(result.path, workers=1)
    assert not report.availability.empty
    plots = report_plots(report)
    timelines = [p for p in plots if "-faults-" in p.slug]
    assert len(timelines) == 1
    html = render_html(report, plots, {p.slug: to_svg(p) for p in plots})
    assert "Availability under faults" in html and "at=1.5s,kill,node=primary" in html
    assert _bakeoff_containers() <= before, "a container or the proxy was left behind"


def test_a_latency_toxic_raises_p50_by_about_the_injected_latency(tmp_path: Path) -> None:
    before = _bakeoff_containers()
    result = run_benchmark(
        ["ycsb-c"],
        ["redis"],
        records=200,
        duration_s=4.0,
        warmup_s=0,
        interval_s=0.25,
        faults=("at=1s,for=2s,latency=30ms",),
        output=tmp_path,
    )
    assert result.ok, result.trials[0].error
    trial = _trial(result.path)
    (figures,) = trial["availability"]
    before_us, during_us = figures["p99_before_us"], figures["p99_during_us"]
    assert during_us - before_us > 25_000, figures
    # p50 of the intervals under the toxic: the injected 30 ms on top of the usual.
    report = build_report(result.path, workers=1)
    series = report.fault_series
    ends = series["start_s"] + series["duration_s"]
    usual = series[ends <= 1.0]["p50_us"].median()
    under = series[(series["start_s"] >= 1.25) & (ends <= 2.75)]
    assert not under.empty
    raised = under["p50_us"].median() - usual
    assert 28_000 <= raised <= 45_000, (usual, raised)
    assert (under["ops_per_s"] < 40).all()  # one connection: at most 1 / 30 ms
    assert trial["provenance"]["client_path"] == "toxiproxy"
    assert _bakeoff_containers() <= before


def test_a_paused_postgres_stalls_and_every_fault_is_undone(tmp_path: Path) -> None:
    before = _bakeoff_containers()
    result = run_benchmark(
        ["ycsb-b"],
        ["postgres"],
        records=200,
        duration_s=3.5,
        warmup_s=0,
        interval_s=0.25,
        faults=("at=1s,for=1s,pause",),
        output=tmp_path,
    )
    assert result.ok, result.trials[0].error
    trial = _trial(result.path)
    (figures,) = trial["availability"]
    assert figures["detect_s"] is not None and figures["detect_s"] < 1.0
    assert figures["unavailable_s"] >= 0.5  # a pause stalls: no operation completes
    lost = trial["lost_writes"]
    assert "error" not in lost and lost["acknowledged_writes"] > 0
    assert lost["lost"] == 0 and lost["stale"] == 0  # a pause loses nothing acknowledged
    assert _bakeoff_containers() <= before
