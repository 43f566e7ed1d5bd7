"""Coordinated-omission proof: a fixed-rate open loop against a real Redis that the test
pauses for one second mid-run.

Arithmetic: at rate R for D seconds, a pause of P seconds holds back every request
intended during it; afterwards the worker issues the backlog back to back, each taking
the mean service time s, so the backlog drains at 1/s - R. The request intended t
seconds after the pause began completes at P + R·t·s, a response time of P - t·(1 - R·s):
response times spread evenly over (0, P] across the T = P / (1 - R·s) seconds of
delayed requests. Of the R·D requests, R·T are delayed, so the response-time quantile q
is P·(1 - (1-q)·D/T) and the maximum is P. Service time sees only the request that was
in flight when the pause began.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import redis

from bakeoff.core import histogram as hdr
from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.external import ExternalProvisioner
from bakeoff.harness.options import RunOptions
from bakeoff.harness.plan import plan_trials
from bakeoff.harness.progress import SilentProgress
from bakeoff.harness.runner import TrialRunner
from bakeoff.results import load, load_manifest
from bakeoff.results.writer import RunWriter
from bakeoff.workloads.loader import load_workload, shipped_workloads_dir
from tests.conftest import ServerPool

pytestmark = pytest.mark.docker

RATE = 1000.0
DURATION_S = 4.0
PAUSE_S = 1.0
PAUSE_AFTER_S = 1.5


class PauseDuringMeasure(SilentProgress):
    """Pauses the server PAUSE_AFTER_S into the measure phase, from a separate client."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.timer: threading.Timer | None = None

    def phase_started(self, phase: str, total_ops: int | None, duration_s: float | None) -> None:
        if phase == "measure":
            self.timer = threading.Timer(PAUSE_AFTER_S, self._pause)
            self.timer.start()

    def _pause(self) -> None:
        client = redis.Redis.from_url(self.url)
        client.client_pause(int(PAUSE_S * 1000), all=True)
        client.close()


def _merged(frame, kind: str):  # type: ignore[no-untyped-def]
    rows = frame[(frame["phase"] == "measure") & (frame["latency_kind"] == kind)]
    return hdr.merge_encoded(rows["histogram"]), int(rows["count"].sum())


def test_response_time_shows_the_stall_and_service_time_does_not(
    servers: ServerPool, tmp_path: Path
) -> None:
    endpoint = servers.endpoint("redis")
    workload = load_workload(shipped_workloads_dir() / "ycsb-c.yaml").with_overrides(
        records=1000, duration_s=DURATION_S
    )
    (trial,) = plan_trials([(workload, None)], [engine_spec("redis")])
    pauser = PauseDuringMeasure(endpoint.url)
    runner = TrialRunner(RunOptions(rate=RATE), pauser)
    record = runner.run(trial, ExternalProvisioner(engine_spec("redis"), endpoint.url))
    assert pauser.timer is not None
    pauser.timer.join()
    assert record.status == "ok", record.error
    writer = RunWriter(tmp_path)
    writer.add_trial(record)
    run_dir = writer.finish("ok")

    frame = load(run_dir)
    response, response_count = _merged(frame, "response")
    service, service_count = _merged(frame, "service")
    assert response_count == service_count
    assert response_count == pytest.approx(RATE * DURATION_S, rel=0.05)

    def ms(h, q: float) -> float:  # type: ignore[no-untyped-def]
        return float(h.get_value_at_percentile(q)) / 1e6

    pause_ms: float = ms(service, 100)  # the request caught by the pause waited all of it
    assert pause_ms == pytest.approx(PAUSE_S * 1000, rel=0.15)
    n = service.get_total_count()
    mean_s = float(service.get_mean_value() * n - service.get_max_value()) / (n - 1) / 1e9
    delayed_s = pause_ms / 1000 / (1 - RATE * mean_s)

    def expected_ms(q: float) -> float:
        return float(pause_ms * (1 - (1 - q) * DURATION_S / delayed_s))

    print(
        f"response p90 {ms(response, 90):.0f} ms, p99 {ms(response, 99):.0f} ms, max "
        f"{ms(response, 100):.0f} ms; predicted p90 {expected_ms(0.90):.0f}, p99 "
        f"{expected_ms(0.99):.0f}, max {pause_ms:.0f}; service p99 {ms(service, 99):.2f} ms"
    )
    # Response time: the stall, as arithmetic predicts (a little more for catching up).
    assert ms(response, 99) == pytest.approx(expected_ms(0.99), rel=0.05)
    assert ms(response, 90) == pytest.approx(expected_ms(0.90), rel=0.1)
    assert ms(response, 100) == pytest.approx(pause_ms, rel=0.05)
    # Service time: one slow request at most, the rest as fast as ever.
    assert ms(service, 99) < 20
    slow_service = sum(1 for v in service.get_recorded_iterator() if v.value_iterated_to > 100e6)
    assert slow_service <= 1

    # Both are labelled in the results.
    assert set(frame[frame["phase"] == "measure"]["latency_kind"]) == {"service", "response"}
    manifest = load_manifest(run_dir)
    generator = manifest["trials"][0]["load_generator"]  # type: ignore[index]
    assert generator["loop"] == "open" and generator["latency_kinds"] == ["service", "response"]
    assert "response" in manifest["latency_kinds"]  # type: ignore[operator]
