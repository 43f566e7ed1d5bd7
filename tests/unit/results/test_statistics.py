from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import mannwhitneyu

from bakeoff.results.statistics import (
    UNSTABLE_CV,
    coefficient_of_variation,
    is_unstable,
    mann_whitney_p,
    median_spread,
    min_attainable_p,
    ratio_ci,
    trials_for_interval,
)


def test_fewer_than_six_trials_give_their_range_not_a_confidence_interval() -> None:
    for n in range(1, 6):
        values = [float(v) for v in range(n, 0, -1)]
        spread = median_spread(values)
        assert (spread.low, spread.high, spread.level) == (1.0, float(n), None)
        assert spread.label() == f"range of {n} trial{'s' if n > 1 else ''}"
        assert not spread.is_interval


def test_six_trials_give_the_range_as_a_95_percent_interval() -> None:
    # 1 - 2 / 2**6 = 96.9 %: the range is the only interval that reaches 95 %.
    spread = median_spread([5.0, 1.0, 3.0, 2.0, 6.0, 4.0])
    assert (spread.low, spread.high, spread.level) == (1.0, 6.0, 0.95)
    assert spread.label() == "95% CI of the median"


def test_the_interval_narrows_to_order_statistics_as_trials_grow() -> None:
    values = [float(v) for v in range(1, 21)]
    spread = median_spread(values)
    # n = 20: P(Bin(20, ½) <= 5) = 2.07 %, so x(6)..x(15) covers 95.9 %; x(7)..x(14) would
    # cover only 88.5 %.
    assert (spread.low, spread.high) == (6.0, 15.0)


def test_median_spread_covers_the_true_median_as_often_as_it_says() -> None:
    rng = np.random.default_rng(11)
    hits = sum(
        (s := median_spread(list(rng.lognormal(0.0, 0.5, size=9)))).low <= 1.0 <= s.high
        for _ in range(2000)
    )
    # Exact for any continuous distribution: at least 95 % (here 98 % at n = 9).
    assert hits >= 0.95 * 2000


@pytest.mark.parametrize(
    ("values", "kwargs", "message"),
    [
        ([], {}, "non-empty"),
        ([1.0, math.nan], {}, "finite"),
        ([1.0, 2.0], {"level": 1.0}, "level"),
    ],
)
def test_median_spread_rejects_bad_input(
    values: list[float], kwargs: dict[str, float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        median_spread(values, **kwargs)


def test_unstable_is_a_cv_above_the_one_limit() -> None:
    assert UNSTABLE_CV == 0.10
    assert is_unstable(0.11) and not is_unstable(0.10) and not is_unstable(math.nan)
    assert is_unstable(math.inf)


def test_ratio_ci_of_a_clear_slowdown_excludes_one() -> None:
    baseline = [100.0, 101.0, 99.0, 100.5, 99.5]
    candidate = [v * 1.2 for v in baseline]
    estimate = ratio_ci(baseline, candidate)
    assert estimate.ratio == pytest.approx(1.2)
    assert 1.0 < estimate.low <= 1.2 <= estimate.high
    assert estimate.level == 0.95


def test_ratio_ci_of_equal_samples_contains_one() -> None:
    rng = np.random.default_rng(5)
    baseline = list(rng.normal(100.0, 3.0, size=8))
    candidate = list(rng.normal(100.0, 3.0, size=8))
    estimate = ratio_ci(baseline, candidate)
    assert estimate.low < 1.0 < estimate.high


def test_ratio_ci_needs_a_nonzero_baseline() -> None:
    with pytest.raises(ValueError, match="zero"):
        ratio_ci([0.0, 0.0, 0.0], [1.0, 2.0, 3.0])


def test_ratio_ci_of_single_values() -> None:
    estimate = ratio_ci([2.0], [3.0])
    assert (estimate.ratio, estimate.low, estimate.high) == (1.5, 1.5, 1.5)


def test_mann_whitney_matches_scipy() -> None:
    baseline = [10.0, 12.0, 11.0, 13.0, 9.0]
    candidate = [14.0, 15.0, 12.5, 16.0, 13.5]
    expected = mannwhitneyu(candidate, baseline, alternative="two-sided").pvalue
    assert mann_whitney_p(baseline, candidate) == pytest.approx(expected)


def test_mann_whitney_of_separated_samples_is_the_smallest_attainable_p() -> None:
    baseline = [1.0, 2.0, 3.0, 4.0, 5.0]
    candidate = [6.0, 7.0, 8.0, 9.0, 10.0]
    assert mann_whitney_p(baseline, candidate) == pytest.approx(2 / 252)
    assert min_attainable_p(5, 5) == pytest.approx(2 / 252)


def test_mann_whitney_of_identical_samples_is_one() -> None:
    assert mann_whitney_p([5.0, 5.0, 5.0], [5.0, 5.0, 5.0]) == 1.0


def test_three_trials_a_side_can_never_reach_five_percent() -> None:
    assert min_attainable_p(3, 3) == pytest.approx(0.1)
    assert min_attainable_p(4, 4) < 0.05
    assert min_attainable_p(0, 5) == 1.0


def test_coefficient_of_variation() -> None:
    values = [90.0, 100.0, 110.0]
    assert coefficient_of_variation(values) == pytest.approx(10.0 / 100.0)
    assert coefficient_of_variation([7.0]) == 0.0
    assert coefficient_of_variation([0.0, 0.0]) == 0.0
    assert coefficient_of_variation([-1.0, 1.0]) == math.inf


def test_trials_for_interval_is_where_the_range_reaches_the_level() -> None:
    assert trials_for_interval(0.95) == 6 and trials_for_interval(0.99) == 8
    n = trials_for_interval(0.95)
    assert median_spread([float(v) for v in range(n)]).is_interval
    assert not median_spread([float(v) for v in range(n - 1)]).is_interval
