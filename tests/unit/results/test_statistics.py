from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from scipy.stats import mannwhitneyu

from bakeoff.results.statistics import (
    bootstrap_ci,
    coefficient_of_variation,
    mann_whitney_p,
    min_attainable_p,
    ratio_ci,
)


def test_bootstrap_ci_brackets_the_median_and_is_reproducible() -> None:
    values = [10.0, 11.0, 9.5, 10.4, 10.1, 9.8, 10.7]
    low, high = bootstrap_ci(values)
    assert low <= statistics.median(values) <= high
    assert min(values) <= low < high <= max(values)
    # Seeded: a report rebuilt from the same store shows the same interval.
    assert bootstrap_ci(values) == (low, high)


def test_bootstrap_ci_narrows_with_a_lower_level() -> None:
    rng = np.random.default_rng(3)
    values = list(rng.normal(100.0, 10.0, size=30))
    low95, high95 = bootstrap_ci(values, level=0.95)
    low50, high50 = bootstrap_ci(values, level=0.50)
    assert low95 <= low50 < high50 <= high95


def test_bootstrap_ci_of_the_mean() -> None:
    values = [float(v) for v in range(1, 20)] + [1000.0]
    low, high = bootstrap_ci(values, statistic="mean")
    assert low < statistics.mean(values) < high
    # The median's interval ignores the outlier that drags the mean's upwards.
    assert bootstrap_ci(values)[1] < high / 5


def test_bootstrap_ci_covers_the_true_median_about_as_often_as_it_says() -> None:
    rng = np.random.default_rng(11)
    hits = 0
    for seed in range(200):
        sample = list(rng.lognormal(0.0, 0.5, size=25))
        low, high = bootstrap_ci(sample, seed=seed)
        hits += low <= 1.0 <= high  # the lognormal(0, σ) median is e^0
    # Percentile intervals of a median run a little short at n = 25; far below would be a bug.
    assert hits >= 170


def test_bootstrap_ci_of_one_value_is_that_value() -> None:
    assert bootstrap_ci([42.0]) == (42.0, 42.0)


@pytest.mark.parametrize(
    ("values", "kwargs", "message"),
    [
        ([], {}, "non-empty"),
        ([1.0, math.nan], {}, "finite"),
        ([1.0, 2.0], {"level": 1.0}, "level"),
        ([1.0, 2.0], {"statistic": "mode"}, "unknown statistic"),
    ],
)
def test_bootstrap_ci_rejects_bad_input(
    values: list[float], kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        bootstrap_ci(values, **kwargs)  # type: ignore[arg-type]


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
