"""Statistics over repetitions: the median's spread, ratios, significance, noise.

Trials per side are few (3 to 10), so nothing here assumes normality: intervals come from
the bootstrap and significance from a rank test.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

_RESAMPLES = 4000

_STATISTICS: dict[str, Callable[..., FloatArray]] = {
    "median": np.median,
    "mean": np.mean,
}


def _as_array(values: Sequence[float], name: str = "values") -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty sequence of numbers")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite")
    return array


def _statistic(name: str) -> Callable[..., FloatArray]:
    try:
        return _STATISTICS[name]
    except KeyError:
        raise ValueError(f"unknown statistic {name!r}; use one of {sorted(_STATISTICS)}") from None


def _check_level(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")


def _percentile_interval(samples: FloatArray, level: float) -> tuple[float, float]:
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(samples, [alpha, 1.0 - alpha])
    return float(low), float(high)


def _resample(
    array: FloatArray, statistic: Callable[..., FloatArray], rng: np.random.Generator
) -> FloatArray:
    indices = rng.integers(0, array.size, size=(_RESAMPLES, array.size))
    return np.asarray(statistic(array[indices], axis=1), dtype=np.float64)


UNSTABLE_CV = 0.10
"""Throughput that varies more than this (sample stdev / mean) is unstable: across the
trials of one engine × workload (`bakeoff compare`, the report, the terminal) and across
the intervals of one trial. The one definition of "unstable" everywhere bakeoff says it."""


def is_unstable(cv: float, limit: float = UNSTABLE_CV) -> bool:
    # NaN (fewer than two values) is not unstable: there is nothing to vary.
    return cv > limit


@dataclass(frozen=True)
class Spread:
    """How far a median over trials can be trusted: a confidence interval when the number
    of trials supports one at `level`, else the plain range (`level` None)."""

    low: float
    high: float
    n: int
    level: float | None

    @property
    def is_interval(self) -> bool:
        return self.level is not None

    def label(self) -> str:
        """Says which it is: `95% CI of the median`, or `range of 3 trials`."""
        if self.level is not None:
            return f"{self.level:.0%} CI of the median"
        return f"range of {self.n} trial{'s' if self.n != 1 else ''}"


def trials_for_interval(level: float = 0.95) -> int:
    """The fewest values whose range covers the median with probability `level` (see
    `median_spread`): 6 at 95 %."""
    _check_level(level)
    n = 1
    while 1.0 - 2.0 ** (1 - n) < level:
        n += 1
    return n


def median_spread(values: Sequence[float], *, level: float = 0.95) -> Spread:
    """The distribution-free confidence interval of the median, or the range.

    The interval between the k-th smallest and the k-th largest of n values covers the
    true median with probability 1 - 2·P(Binomial(n, ½) < k), whatever the distribution.
    The widest such interval (k = 1, the range) reaches 95 % only from 6 trials on
    (1 - 2/2⁶ ≈ 96.9 %; with 5, 93.8 %): below that no interval from the data can claim
    95 %, so the range is returned and labelled as such. A percentile bootstrap of 3
    trials would only relabel their range as a "95 % CI".
    """
    array = np.sort(_as_array(values))
    _check_level(level)
    n = int(array.size)
    best = 0
    for k in range(1, n // 2 + 1):
        below = sum(math.comb(n, i) for i in range(k)) / 2.0**n
        if 1.0 - 2.0 * below < level:
            break
        best = k
    if best == 0:
        return Spread(float(array[0]), float(array[-1]), n, None)
    return Spread(float(array[best - 1]), float(array[n - best]), n, level)


@dataclass(frozen=True)
class RatioEstimate:
    """median(candidate) / median(baseline) with its bootstrap interval."""

    ratio: float
    low: float
    high: float
    level: float


def ratio_ci(
    baseline: Sequence[float],
    candidate: Sequence[float],
    *,
    statistic: str = "median",
    level: float = 0.95,
    seed: int = 0,
) -> RatioEstimate:
    """Bootstrap interval of statistic(candidate) / statistic(baseline).

    The two sides are resampled independently because trials of the baseline and of the
    candidate are not paired: trial 2 of one run has nothing in common with trial 2 of the
    other.
    """
    base = _as_array(baseline, "baseline")
    cand = _as_array(candidate, "candidate")
    _check_level(level)
    func = _statistic(statistic)
    point_base = float(func(base))
    if point_base == 0.0:
        raise ValueError(f"the baseline {statistic} is zero; a ratio is undefined")
    ratio = float(func(cand)) / point_base
    if base.size == 1 and cand.size == 1:
        return RatioEstimate(ratio, ratio, ratio, level)
    rng = np.random.default_rng(seed)
    base_samples = _resample(base, func, rng)
    cand_samples = _resample(cand, func, rng)
    # A resample of a baseline with zeros can have a zero median; such resamples say
    # nothing about a ratio and are dropped rather than turned into infinities.
    valid = base_samples != 0.0
    ratios = cand_samples[valid] / base_samples[valid]
    if ratios.size == 0:
        return RatioEstimate(ratio, ratio, ratio, level)
    low, high = _percentile_interval(ratios, level)
    return RatioEstimate(ratio, low, high, level)


def mann_whitney_p(baseline: Sequence[float], candidate: Sequence[float]) -> float:
    """Two-sided Mann-Whitney U p-value that the two sets of trials differ in location.

    A rank test rather than Welch's t: trial throughputs on a shared machine have outliers
    and skew (one trial hit by a noisy neighbour), and a rank test neither assumes normality
    nor lets one outlier dominate. scipy chooses the exact distribution for small samples
    without ties, which is the usual case here (5 trials a side). A permutation test would
    give the same answer for the median with more code and more run time.
    """
    from scipy.stats import mannwhitneyu

    base = _as_array(baseline, "baseline")
    cand = _as_array(candidate, "candidate")
    if np.ptp(np.concatenate([base, cand])) == 0.0:
        return 1.0
    result = mannwhitneyu(cand, base, alternative="two-sided")
    return float(result.pvalue)


def min_attainable_p(n_baseline: int, n_candidate: int) -> float:
    """The smallest two-sided p-value the exact rank test can give for these sample sizes.

    With 2 trials a side it is 1/3: no difference, however large, is ever significant at
    0.05. The comparison reports this so a user knows to add repetitions.
    """
    if n_baseline < 1 or n_candidate < 1:
        return 1.0
    return min(1.0, 2.0 / math.comb(n_baseline + n_candidate, n_baseline))


def coefficient_of_variation(values: Sequence[float]) -> float:
    """Sample standard deviation over the mean (ddof=1); 0 for a single value.

    Returns infinity when the mean is zero but the values vary, so such a series is always
    reported as noisy.
    """
    array = _as_array(values)
    if array.size < 2:
        return 0.0
    std = float(np.std(array, ddof=1))
    mean = float(np.mean(array))
    if mean == 0.0:
        return 0.0 if std == 0.0 else math.inf
    return std / abs(mean)
