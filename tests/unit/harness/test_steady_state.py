"""The steady-state rule of an automatic warm-up, on synthetic throughput series."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest

from bakeoff.harness.steady_state import SteadyStateMonitor, SteadyStateRule, window_of


def feed(
    monitor: SteadyStateMonitor, rates: Sequence[float], polls_per_step: int = 4
) -> float | None:
    """Feed a series of per-second rates as the runner would (several polls a second);
    the elapsed time at which the monitor said steady, or None."""
    completed = 0.0
    poll_s = 1.0 / polls_per_step
    elapsed = 0.0
    for rate in rates:
        for _ in range(polls_per_step):
            elapsed += poll_s
            completed += rate * poll_s
            if monitor.observe(elapsed, round(completed)):
                return monitor.steady_at_s
    return None


def test_a_flat_series_is_steady_after_one_window() -> None:
    monitor = SteadyStateMonitor()
    assert feed(monitor, [1000.0] * 20) == pytest.approx(5.0)
    assert monitor.rates == pytest.approx([1000.0] * 5)
    assert monitor.last is not None and monitor.last.cv == pytest.approx(0.0, abs=1e-3)


def test_a_warming_engine_is_steady_once_the_ramp_is_over() -> None:
    # Throughput approaching 10,000 ops/s with a time constant of 3 s (caches filling).
    rates = [10_000 * (1 - math.exp(-(t + 1) / 3)) for t in range(30)]
    at = feed(SteadyStateMonitor(), rates)
    assert at is not None
    assert 8.0 <= at <= 12.0
    # Where it stopped, throughput is within 10% of its final value.
    assert rates[int(at) - 1] >= 0.9 * rates[-1]


def test_a_slow_ramp_with_little_spread_is_not_steady() -> None:
    # 3% more every second: the CV of five steps is under 5%, the drift is 12%.
    rates = [1000 * 1.03**t for t in range(20)]
    judged = window_of(rates[:5])
    assert judged.cv < 0.05 and judged.drift > 0.10
    monitor = SteadyStateMonitor()
    assert feed(monitor, rates) is None
    assert monitor.outcome(20.0)["stopped"] == "phase ended"


def test_a_noisy_engine_runs_to_the_upper_bound_and_says_so() -> None:
    rates = [800.0, 1200.0] * 15
    monitor = SteadyStateMonitor()
    assert feed(monitor, rates) is None
    outcome = monitor.outcome(30.0)
    assert outcome["stopped"] == "upper bound"
    assert outcome["steps"] == 30
    last = outcome["last_window"]
    assert isinstance(last, dict) and last["cv"] == pytest.approx(219.1 / 1040, abs=1e-3)


def test_nothing_completing_is_never_steady() -> None:
    monitor = SteadyStateMonitor()
    assert feed(monitor, [0.0] * 10) is None
    outcome = monitor.outcome(10.0)
    assert (outcome["steps"], outcome["last_window"]) == (0, None)
    assert window_of([0.0, 0.0]).cv == math.inf


def test_progress_in_chunks_does_not_read_as_noise() -> None:
    # A steady 1,300 ops/s reported 512 operations at a time, polled every 20 ms: the
    # operations landing in each second alternate between 1,024 and 1,536.
    monitor = SteadyStateMonitor()
    chunk_s = 512 / 1300
    steady_at = None
    for poll in range(1, 1500):
        elapsed = poll * 0.02
        if monitor.observe(elapsed, 512 * int(elapsed / chunk_s)):
            steady_at = monitor.steady_at_s
            break
    assert steady_at is not None and steady_at < 8.0
    assert all(abs(rate - 1300) < 1300 * 0.05 for rate in monitor.rates)


def test_a_stalled_second_is_no_step_of_its_own() -> None:
    monitor = SteadyStateMonitor()
    assert not monitor.observe(1.0, 0)
    assert not monitor.observe(2.5, 0)
    assert not monitor.observe(3.0, 3000)  # the count changed: one step of 3 s
    assert monitor.rates == pytest.approx([1000.0])


def test_once_steady_it_stays_steady() -> None:
    monitor = SteadyStateMonitor()
    feed(monitor, [500.0] * 5)
    assert monitor.observe(60.0, 0)
    assert monitor.steady_at_s == pytest.approx(5.0)


def test_a_late_poll_rates_the_step_over_the_time_it_spanned() -> None:
    monitor = SteadyStateMonitor()
    assert not monitor.observe(0.9, 900)
    assert not monitor.observe(1.25, 1250)  # one step of 1.25 s
    assert monitor.rates == pytest.approx([1000.0])


def test_the_outcome_records_rule_duration_and_reason() -> None:
    monitor = SteadyStateMonitor()
    feed(monitor, [2000.0, 2010.0, 1990.0, 2000.0, 2005.0])
    outcome = monitor.outcome(5.02)
    assert outcome["stopped"] == "steady"
    assert outcome["warmup_s"] == 5.02
    assert outcome["steps"] == 5
    assert "last 5 steps of 1 s" in str(outcome["rule"])
    assert "at most 30 s" in str(outcome["rule"])


def test_window_statistics() -> None:
    judged = window_of([1.0, 2.0, 3.0])
    assert judged.mean == 2.0
    assert judged.cv == pytest.approx(0.5)
    assert judged.drift == pytest.approx(1.0)  # the line rises by 2, the mean is 2
    with pytest.raises(ValueError, match="at least two"):
        window_of([1.0])


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"window": 1}, "at least 2 steps"), ({"max_s": 3.0}, "room for one window")],
)
def test_rules_that_cannot_work_are_refused(changes: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SteadyStateRule(**changes)  # type: ignore[arg-type]
