"""The live view serves what docs/grafana/bakeoff.json asks for, on loopback only."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest

from bakeoff.core.measures import IntervalRow, LatencyKind, Phase
from bakeoff.core.telemetry import MetricKind, TelemetryRow
from bakeoff.harness.live_view import LiveView, LiveViewError

parser = pytest.importorskip("prometheus_client.parser")
GRAFANA = Path(__file__).parents[3] / "docs" / "grafana" / "bakeoff.json"


def _scrape(view: LiveView) -> dict[str, list[tuple[dict[str, str], float]]]:
    with urllib.request.urlopen(f"http://127.0.0.1:{view.port}/metrics", timeout=5) as reply:
        text = reply.read().decode()
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in parser.text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def _row(interval: int, duration_s: float) -> IntervalRow:
    return IntervalRow(
        Phase.MEASURE, "read", LatencyKind.SERVICE, interval, float(interval), duration_s,
        count=100, not_found=0, errors_transient=2, errors_fatal=0, errors_unsupported=0,
        histogram="",
    )  # fmt: skip


def test_what_the_view_serves() -> None:
    view = LiveView(0)
    try:
        view.telemetry_rows("redis", "ycsb-c", [
            TelemetryRow("measure", 0, 0.0, 0.5, "container", "container.cpu_user_s", 0.1,
                         "s", MetricKind.COUNTER),
            TelemetryRow("measure", 0, 0.0, 0.5, "container", "container.memory_anon_bytes",
                         8e6, "bytes", MetricKind.GAUGE),
        ])  # fmt: skip
        view.phase_rows("redis", "ycsb-c", "measure", [_row(0, 1.0), _row(1, 0.5), _row(2, 0.1)])
        view.advance(500, 1.0)
        found = _scrape(view)
    finally:
        view.close()
    telemetry = {labels["metric"]: (labels["unit"], v) for labels, v in found["bakeoff_telemetry"]}
    assert telemetry == {
        "container.cpu_user_s": ("s/s", pytest.approx(0.2)),
        "container.memory_anon_bytes": ("bytes", 8e6),
    }
    # The last whole interval: 100 operations in 0.5 s (the 0.1 s sliver is left out).
    [(labels, ops)] = found["bakeoff_operation_throughput_ops"]
    assert (labels["operation"], ops) == ("read", 200.0)
    assert found["bakeoff_operation_errors"][0][1] == 2
    assert found["bakeoff_phase_operations"][0][1] == 500


def test_the_grafana_dashboard_asks_only_for_served_metrics() -> None:
    view = LiveView(0)
    try:
        served = {m.name for m in view.registry.collect()}
    finally:
        view.close()
    asked = set(re.findall(r"bakeoff_[a-z_]+", json.dumps(json.loads(GRAFANA.read_text()))))
    assert asked and asked <= served


def test_a_taken_port_is_refused() -> None:
    view = LiveView(0)
    try:
        with pytest.raises(LiveViewError, match=r"cannot listen on 127\.0\.0\.1"):
            LiveView(view.port)
    finally:
        view.close()
