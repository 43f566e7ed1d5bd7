"""A real short run on a Redis container: its telemetry lands in telemetry.parquet on
the histograms' intervals, and the live view scrapes as Prometheus text meanwhile.

A phase's latency percentiles reach the live view when the phase ends, so the run has a
second workload: the first one's figures are served while the second one runs (after
the last phase the view closes with the run, too soon for a scraper to be sure to see
them)."""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from bakeoff import report
from bakeoff.api import run_benchmark

pytestmark = pytest.mark.docker
prometheus_parser = pytest.importorskip("prometheus_client.parser")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _scrape(
    port: int, found: dict[str, dict[tuple[tuple[str, str], ...], float]], stop: threading.Event
) -> None:
    while not stop.is_set():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as reply:
                text = reply.read().decode()
        except OSError:
            time.sleep(0.1)
            continue
        for family in prometheus_parser.text_string_to_metric_families(text):
            for sample in family.samples:
                key = tuple(sorted(sample.labels.items()))
                found.setdefault(sample.name, {})[key] = sample.value
        time.sleep(0.2)


def test_telemetry_is_stored_and_served_live(tmp_path: Path) -> None:
    port = _free_port()
    found: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    stop = threading.Event()
    scraper = threading.Thread(target=_scrape, args=(port, found, stop), daemon=True)
    scraper.start()
    try:
        result = run_benchmark(
            ["ycsb-c", "ycsb-b"],
            ["redis"],
            output=tmp_path,
            records=200,
            duration_s=2.5,
            warmup_s=0,
            interval_s=0.5,
            telemetry_interval_s=0.5,
            prometheus_port=port,
        )
    finally:
        stop.set()
        scraper.join()
    assert result.ok, [t.error for t in result.trials]

    telemetry = report.telemetry(result.path)
    assert set(telemetry["engine"]) == {"redis"}
    assert set(telemetry["workload"]) == {"ycsb-c", "ycsb-b"}
    measure = telemetry[(telemetry["phase"] == "measure") & (telemetry["workload"] == "ycsb-c")]
    cpu = measure[measure["metric"] == "container.cpu_user_s"]
    assert list(cpu["interval"]) == list(range(len(cpu))) and len(cpu) >= 5
    assert list(cpu["start_s"])[:2] == [0.0, 0.5]
    assert set(measure["source"]) >= {"container"}
    memory = measure[measure["metric"] == "container.memory_anon_bytes"]
    assert (memory["value"] > 0).all() and set(memory["kind"]) == {"gauge"}
    assert measure[measure["metric"] == "container.net_rx_bytes"]["value"].sum() > 0

    assert any(v > 0 for v in found["bakeoff_phase_operations"].values())
    live = found["bakeoff_telemetry"]
    assert any(dict(k)["metric"] == "container.cpu_user_s" for k in live)
    latency = {
        (dict(k)["workload"], dict(k)["operation"], dict(k)["quantile"])
        for k in found["bakeoff_operation_latency_us"]
    }
    assert ("ycsb-c", "read", "0.99") in latency
    with pytest.raises(OSError):  # the endpoint closes with the run
        urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=1)


def test_telemetry_off_writes_none(tmp_path: Path) -> None:
    result = run_benchmark(
        ["ycsb-c"], ["redis"], output=tmp_path, records=100, operations=200, telemetry=False
    )
    assert result.ok
    assert not (result.path / "telemetry.parquet").exists()
    assert report.telemetry(result.path).empty
