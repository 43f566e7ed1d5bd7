"""The capacity search on simulated engines: a pure function of the rate to what a step
measures. The rules under test: ramp, bisection, confirmation on repetition, and the
reasons each step was rejected."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bakeoff.results.capacity_search import (
    SearchRule,
    Step,
    bracket,
    next_rate,
    outcome,
)
from bakeoff.results.slo import Measured, Slo, judge

SLO = Slo({"p99": 2000.0}, 0.01)
Engine = Callable[[float, int], Measured]
"""(target rate, how many times this rate was measured before) -> what the step measured."""


def queueing_engine(capacity: float, service_us: float = 200.0) -> Engine:
    """Latency grows as 1/(1 − utilisation); beyond capacity the rate is not achieved
    and the queue (hence response time) grows without bound."""

    def measure(rate: float, _: int) -> Measured:
        utilisation = rate / capacity
        p99 = service_us / (1 - utilisation) if utilisation < 1 else 1e6
        return Measured(rate, min(rate, capacity), {"p50": service_us, "p99": p99}, 0.0, 5.0)

    return measure


def search(engine: Engine, rule: SearchRule, limit: int = 60) -> list[Step]:
    steps: list[Step] = []
    while (rate := next_rate(steps, rule)) is not None:
        assert len(steps) < limit, "the search does not end"
        seen = sum(1 for s in steps if s.target_rate == rate)
        m = engine(rate, seen)
        reasons = judge(m, SLO, rule.tolerance)
        steps.append(
            Step(
                len(steps) + 1,
                len(steps),
                seen,
                rate,
                m.achieved_rate,
                m.percentiles_us,
                m.error_rate,
                m.duration_s,
                not reasons,
                reasons,
            )
        )
    return steps


@pytest.mark.parametrize("capacity", [730.0, 5_000.0, 41_000.0, 123_456.0])
def test_the_search_lands_within_its_precision_below_the_true_maximum(capacity: float) -> None:
    rule = SearchRule(start_rate=1000.0, precision=0.05)
    # p99 reaches the SLO of 2 ms at 90 % utilisation: that is the true maximum.
    true_max = capacity * 0.9
    steps = search(queueing_engine(capacity), rule)
    found = outcome(steps, rule)
    assert found.converged
    assert found.max_rate is not None and found.low == found.max_rate
    assert found.high is not None
    assert found.low <= true_max < found.high
    assert found.high <= found.low * 1.05 + 10  # within the precision (rates are rounded)
    assert abs(found.max_rate - true_max) / true_max < 0.10
    # The maximum held twice; the rates above it were rejected with a reason.
    assert sum(1 for s in steps if s.target_rate == found.max_rate and s.accepted) == 2
    rejected = [s for s in steps if not s.accepted]
    assert rejected and all(s.reasons for s in rejected)
    assert all("> SLO 2,000 µs" in s.reasons[-1] for s in rejected)


def test_the_ramp_doubles_then_bisects_by_geometric_means() -> None:
    rule = SearchRule(start_rate=1000.0)
    rates = [s.target_rate for s in search(queueing_engine(5_000.0), rule)]
    assert rates[:4] == [1000.0, 2000.0, 4000.0, 8000.0]
    assert rates[4] == 5660.0  # √(4000 × 8000), three significant digits


def test_a_first_rate_that_misses_walks_down() -> None:
    rule = SearchRule(start_rate=1000.0)
    steps = search(queueing_engine(150.0), rule)
    assert [s.target_rate for s in steps[:4]] == [1000.0, 500.0, 250.0, 125.0]
    found = outcome(steps, rule)
    assert found.max_rate is not None and 0.9 * 135 <= found.max_rate <= 135


def test_an_engine_that_sustains_nothing_ends_the_search_with_no_maximum() -> None:
    def broken(rate: float, _: int) -> Measured:
        return Measured(rate, 0.0, {}, 1.0, 5.0, failure="connection refused")

    rule = SearchRule(start_rate=1000.0, min_rate=10.0)
    steps = search(broken, rule)
    assert [s.target_rate for s in steps] == [1000.0, 500.0, 250.0, 125.0, 62.5, 31.2, 15.6]
    assert all(s.reasons == ["trial failed: connection refused"] for s in steps)
    found = outcome(steps, rule)
    assert found.converged and found.max_rate is None and found.high == 15.6


def test_a_rate_that_misses_on_its_repetition_is_not_the_maximum() -> None:
    steady = queueing_engine(10_000.0)
    flaky_at: list[float] = []

    def flaky(rate: float, seen: int) -> Measured:
        # The first rate to be repeated misses on its repetition (a noisy neighbour).
        if seen == 1 and not flaky_at:
            flaky_at.append(rate)
            return Measured(rate, rate * 0.8, {"p99": 9000.0}, 0.0, 5.0)
        return steady(rate, seen)

    rule = SearchRule(start_rate=1000.0)
    steps = search(flaky, rule)
    found = outcome(steps, rule)
    assert flaky_at and found.max_rate is not None
    assert found.max_rate < flaky_at[0]
    assert found.high is not None and found.high <= flaky_at[0]
    repeated = [s for s in steps if s.target_rate == flaky_at[0]]
    assert [s.accepted for s in repeated] == [True, False]
    assert repeated[1].reasons == ["achieved 80% of target (< 95%)", "p99 9,000 µs > SLO 2,000 µs"]


def test_the_last_step_of_a_budget_confirms_the_maximum_so_far() -> None:
    rule = SearchRule(start_rate=1000.0)
    steps = search(queueing_engine(5_000.0), rule)[:5]  # cut off mid-bisection
    low = bracket(steps).low
    assert next_rate(steps, rule) != low
    assert next_rate(steps, rule, last_chance=True) == low
    assert outcome(steps, rule).max_rate is None  # nothing held twice yet
    assert not outcome(steps, rule).converged


def test_steps_survive_the_manifest_round_trip() -> None:
    rule = SearchRule()
    steps = search(queueing_engine(3000.0), rule)
    again = [Step.from_manifest(s.manifest()) for s in steps]
    assert again == steps
    assert next_rate(again, rule) is None


def test_a_rule_that_cannot_search_is_refused() -> None:
    with pytest.raises(ValueError, match="factor"):
        SearchRule(factor=1.0)
    with pytest.raises(ValueError, match="tolerance"):
        SearchRule(tolerance=1.0)
