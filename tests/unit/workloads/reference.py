"""Reference distributions and goodness-of-fit helpers for the generator tests, written
independently of the implementation."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import stats

from bakeoff.workloads.model import (
    ExponentialKeys,
    HotspotKeys,
    LatestKeys,
    RequestDistribution,
    ScrambledZipfianKeys,
    SequentialKeys,
    UniformKeys,
    ZipfianKeys,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

ALL_DISTRIBUTIONS: list[RequestDistribution] = [
    UniformKeys(type="uniform"),
    ZipfianKeys(type="zipfian"),
    ScrambledZipfianKeys(type="scrambled_zipfian"),
    LatestKeys(type="latest"),
    HotspotKeys(type="hotspot"),
    SequentialKeys(type="sequential"),
    ExponentialKeys(type="exponential"),
]


def fnv_reference(value: int) -> int:
    h = 0xCBF29CE484222325
    for i in range(8):
        h ^= (value >> (8 * i)) & 0xFF
        h = (h * 1099511628211) % 2**64
    signed = h - 2**64 if h >= 2**63 else h
    return abs(signed) if signed != -(2**63) else signed


def exact_zipf_pmf(items: int, theta: float) -> FloatArray:
    weights = np.arange(1, items + 1, dtype=np.float64) ** -theta
    pmf: FloatArray = weights / weights.sum()
    return pmf


def gray_pmf(
    items: int, theta: float, *, zetan: float | None = None, ranks: int | None = None
) -> FloatArray:
    """The exact pmf that Gray et al.'s algorithm induces, from the measure of u per rank.

    Rank k >= 2 is returned for u in [b(k), b(k+1)) with
    b(k) = ((k/items)**(1-theta) - 1 + eta) / eta.
    """
    count = items if ranks is None else ranks
    zn = (
        float(np.sum(np.arange(1, items + 1, dtype=np.float64) ** -theta))
        if zetan is None
        else zetan
    )
    zeta2 = 1.0 + 0.5**theta
    eta = (1.0 - (2.0 / items) ** (1.0 - theta)) / (1.0 - zeta2 / zn)
    k = np.arange(2, count + 1, dtype=np.float64)
    bounds = np.minimum(((k / items) ** (1.0 - theta) - 1.0 + eta) / eta, 1.0)
    pmf = np.empty(count, dtype=np.float64)
    pmf[0] = 1.0 / zn
    pmf[1] = 0.5**theta / zn
    pmf[2:] = np.diff(bounds)
    return pmf


def chi_square_p(samples: IntArray, pmf: FloatArray) -> float:
    """Goodness of fit of integer samples in [0, len(pmf)); sparse bins pooled together."""
    n = samples.size
    observed = np.bincount(samples, minlength=pmf.size).astype(np.float64)
    assert observed.size == pmf.size, "samples outside the support"
    expected = pmf / pmf.sum() * n
    dense = expected >= 5
    obs = np.append(observed[dense], observed[~dense].sum())
    exp = np.append(expected[dense], expected[~dense].sum())
    if exp[-1] == 0:
        obs, exp = obs[:-1], exp[:-1]
    return float(stats.chisquare(obs, exp).pvalue)
