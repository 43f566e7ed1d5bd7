"""The replica-lag sampler: samples, a replica that never catches up, a node that fails."""

from __future__ import annotations

import time

from bakeoff.engines.replica_lag import LagSampler


class FakeProbe:
    """A replica that shows each marker `lag_s` after it was written."""

    def __init__(self, lag_s: float, fail: bool = False) -> None:
        self.lag_s = lag_s
        self.fail = fail
        self.written: dict[int, float] = {}
        self.closed = False

    def write(self, marker: int) -> None:
        if self.fail:
            raise ConnectionError("primary down")
        self.written[marker] = time.perf_counter()

    def seen(self, marker: int) -> bool:
        return time.perf_counter() - self.written[marker] >= self.lag_s

    def close(self) -> None:
        self.closed = True


def test_samples_measure_the_time_until_the_replica_returns_the_marker() -> None:
    probe = FakeProbe(lag_s=0.01)
    sampler = LagSampler(probe, interval_s=0.02)
    sampler.start()
    time.sleep(0.3)
    summary = sampler.stop()
    assert probe.closed
    assert int(summary["replica_lag.samples"]) >= 3
    assert 10.0 <= float(summary["replica_lag.median_ms"]) < 100.0
    assert float(summary["replica_lag.max_ms"]) >= float(summary["replica_lag.p99_ms"])


def test_a_marker_never_seen_counts_as_the_give_up_time() -> None:
    sampler = LagSampler(FakeProbe(lag_s=10.0), interval_s=0.01, give_up_s=0.05)
    sampler.start()
    time.sleep(0.2)
    summary = sampler.stop()
    assert int(summary["replica_lag.unseen"]) >= 1
    assert float(summary["replica_lag.max_ms"]) == 50.0


def test_a_failing_write_is_counted_as_an_error_not_a_sample() -> None:
    sampler = LagSampler(FakeProbe(lag_s=0.0, fail=True), interval_s=0.01)
    sampler.start()
    time.sleep(0.1)
    summary = sampler.stop()
    assert summary["replica_lag.samples"] == "0"
    assert int(summary["replica_lag.errors"]) >= 1
    assert "replica_lag.median_ms" not in summary
