"""The sampler: counters become per-interval increases on the histograms' boundaries,
gauges stay levels, a failing source is logged once and never ends the phase."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from bakeoff.api import plan_run
from bakeoff.core.endpoint import Endpoint
from bakeoff.core.telemetry import MetricKind, MetricReading, TelemetryRow
from bakeoff.engines.base import ProvisionerBase
from bakeoff.harness import telemetry_sampler
from bakeoff.harness.options import RunOptions
from bakeoff.harness.telemetry_sampler import READ_TIME, TelemetrySampler, trial_sampler

INTERVAL_NS = 200_000_000


class Ticking:
    """A counter that rises by 10 per read and a gauge at the read's number."""

    name = "ticking"

    def __init__(self, fail_at: frozenset[int] = frozenset()) -> None:
        self.reads = 0
        self.fail_at = fail_at
        self.closed = 0

    def read(self) -> Sequence[MetricReading]:
        self.reads += 1
        if self.reads in self.fail_at:
            raise ConnectionError("engine gone")
        return [
            MetricReading("ticking.ops", 10.0 * self.reads, "operations", MetricKind.COUNTER),
            MetricReading("ticking.level", float(self.reads), "1", MetricKind.GAUGE),
        ]

    def close(self) -> None:
        self.closed += 1


def _run(sampler: TelemetrySampler, intervals: float) -> list[TelemetryRow]:
    start = time.perf_counter_ns()
    sampler.start("measure", start, INTERVAL_NS)
    time.sleep(intervals * INTERVAL_NS / 1e9)
    return sampler.stop(start + int(intervals * INTERVAL_NS))


def _metric(rows: Sequence[TelemetryRow], metric: str) -> list[TelemetryRow]:
    return [r for r in rows if r.metric == metric]


def test_counters_are_increases_and_gauges_levels_on_the_intervals() -> None:
    source = Ticking()
    rows = _run(TelemetrySampler([source]), 3.5)
    ops = _metric(rows, "ticking.ops")
    assert [r.interval for r in ops] == [0, 1, 2, 3]
    assert [r.start_s for r in ops] == pytest.approx([0.0, 0.2, 0.4, 0.6])
    assert [r.duration_s for r in ops] == pytest.approx([0.2, 0.2, 0.2, 0.1])
    assert all(r.value == 10.0 for r in ops)
    assert [r.value for r in _metric(rows, "ticking.level")] == [2.0, 3.0, 4.0, 5.0]
    assert all(r.phase == "measure" and r.source == "ticking" for r in rows)
    assert all(r.value >= 0 for r in _metric(rows, READ_TIME))


def test_every_second_interval() -> None:
    rows = _run(TelemetrySampler([Ticking()], every=2), 4)
    ops = _metric(rows, "ticking.ops")
    assert [r.interval for r in ops] == [0, 2]
    assert [r.duration_s for r in ops] == pytest.approx([0.4, 0.4])


def test_a_failing_source_is_logged_once_and_its_counters_restart(
    caplog: pytest.LogCaptureFixture,
) -> None:
    source = Ticking(fail_at=frozenset({2, 3}))
    with caplog.at_level(logging.WARNING):
        rows = _run(TelemetrySampler([source]), 4.5)
    assert [r.interval for r in _metric(rows, "ticking.ops")] == [3, 4]
    assert len([r for r in caplog.records if "ticking failed" in r.message]) == 1


def test_close_closes_every_source() -> None:
    source = Ticking()
    TelemetrySampler([source]).close()
    assert source.closed == 1


def test_stop_without_start_has_no_rows() -> None:
    assert TelemetrySampler([Ticking()]).stop(0) == []


class Hanging(Ticking):
    """Answers its first read, then blocks (an engine that stopped answering)."""

    name = "hanging"

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def read(self) -> Sequence[MetricReading]:
        if self.reads >= 1:
            self.release.wait(30)
        return super().read()


def test_a_source_stuck_in_a_read_does_not_hold_the_phase(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(telemetry_sampler, "STOP_WAIT_S", 0.3)
    source = Hanging()
    sampler = TelemetrySampler([source])
    try:
        began = time.perf_counter()
        with caplog.at_level(logging.WARNING):
            assert _run(sampler, 1.5) == []
        assert time.perf_counter() - began < 3
        assert any("did not answer" in r.message for r in caplog.records)
        sampler.start("measure", time.perf_counter_ns(), INTERVAL_NS)  # no second reader
        assert sampler.stop(time.perf_counter_ns()) == []
        assert source.reads == 1
    finally:
        source.release.set()


class _Provisioner(ProvisionerBase):
    def __init__(self, source: Ticking | None, fails: bool = False) -> None:
        self.source, self.fails = source, fails

    def telemetry_source(self) -> Ticking | None:
        if self.fails:
            raise PermissionError("/sys/fs/cgroup: not readable")
        return self.source


def test_a_trial_samples_its_container_every_whole_interval(tmp_path: Path) -> None:
    options = RunOptions(interval_s=0.3, telemetry_interval_s=1.0, output=tmp_path)
    trial = plan_run(["ycsb-c"], ["sqlite"], options)[0]
    endpoint = Endpoint(engine="sqlite", url="sqlite://", display_url="sqlite://")
    source = Ticking()
    sampler = trial_sampler(_Provisioner(source), trial, endpoint, options)
    assert sampler is not None and sampler.sources == [source]
    assert sampler.every == 4  # 1 s in 0.3 s intervals, rounded up
    off = replace(options, telemetry=False)
    assert trial_sampler(_Provisioner(source), trial, endpoint, off) is None


def test_a_source_that_cannot_be_opened_is_left_out(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    options = RunOptions(output=tmp_path)
    trial = plan_run(["ycsb-c"], ["sqlite"], options)[0]
    endpoint = Endpoint(engine="sqlite", url="sqlite://", display_url="sqlite://")
    with caplog.at_level(logging.WARNING):
        assert trial_sampler(_Provisioner(None, fails=True), trial, endpoint, options) is None
    assert "container could not be opened" in caplog.text
