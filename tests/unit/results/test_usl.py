"""The USL fit: it recovers known σ and κ from noisy synthetic sweeps, says how it made
its intervals, and warns when the data cannot support it."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest

from bakeoff.results.usl import (
    BOOTSTRAP,
    COVARIANCE,
    NO_INTERVALS,
    UslFit,
    fit_series,
    fit_usl,
    usl_throughput,
)

SIGMA, KAPPA, LAMBDA = 0.05, 0.002, 1_000.0
"""A peak at N* = √(0.95 / 0.002) ≈ 21.8 connections."""
SWEEP = (1, 2, 4, 8, 16, 24, 32, 48, 64)


def synthetic(
    connections: Sequence[int] = SWEEP,
    *,
    sigma: float = SIGMA,
    kappa: float = KAPPA,
    lambda_: float = LAMBDA,
    repetitions: int = 5,
    noise: float = 0.02,
    seed: int = 1,
) -> pd.DataFrame:
    """Trials of a sweep with multiplicative, normally distributed noise."""
    rng = np.random.default_rng(seed)
    rows = [
        {
            "series": "synthetic",
            "connections": float(n),
            "repetition": r,
            "throughput": float(usl_throughput(n, lambda_, sigma, kappa))
            * (1.0 + rng.normal(0.0, noise)),
        }
        for n in connections
        for r in range(repetitions)
    ]
    return pd.DataFrame(rows)


def close(value: float, truth: float, within: float = 0.10) -> bool:
    return abs(value - truth) <= within * truth


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_recovers_known_sigma_and_kappa_within_ten_percent(seed: int) -> None:
    fit = fit_usl(synthetic(seed=seed), "synthetic", seed=seed, resamples=20)
    assert close(fit.sigma, SIGMA), fit.sigma
    assert close(fit.kappa, KAPPA), fit.kappa
    assert close(fit.lambda_, LAMBDA, 0.05)
    assert fit.peak_connections is not None and close(
        fit.peak_connections, math.sqrt((1 - SIGMA) / KAPPA)
    )
    assert fit.peak_throughput is not None
    assert fit.r_squared > 0.95
    assert fit.warnings == ()


def test_bootstrap_intervals_with_repetitions_cover_the_truth() -> None:
    fit = fit_usl(synthetic(), "synthetic")
    assert fit.interval_method == BOOTSTRAP
    assert "bootstrap" in fit.interval_note
    for name, truth in (("sigma", SIGMA), ("kappa", KAPPA), ("lambda", LAMBDA)):
        low, high = fit.intervals[name]
        assert low <= truth <= high, (name, low, high)
    low, high = fit.intervals["peak_connections"]
    assert low < fit.peak_connections < high  # type: ignore[operator]
    band = fit.band(np.array([1.0, 10.0, 64.0]))
    assert band is not None
    assert np.all(band[0] <= fit.predict(np.array([1.0, 10.0, 64.0])) * 1.001)


def test_one_trial_per_point_takes_intervals_from_the_covariance() -> None:
    fit = fit_usl(synthetic(repetitions=1, noise=0.01), "synthetic")
    assert fit.interval_method == COVARIANCE
    assert "covariance" in fit.interval_note
    low, high = fit.intervals["sigma"]
    assert 0.0 <= low < fit.sigma < high
    assert fit.band(np.array([4.0])) is not None


def test_residuals_and_r_squared_describe_the_fit() -> None:
    frame = synthetic(noise=0.0, repetitions=2)
    fit = fit_usl(frame, "exact")
    assert len(fit.residuals) == len(frame)
    assert max(abs(r) for r in fit.residuals) < 1e-3 * LAMBDA
    assert fit.r_squared == pytest.approx(1.0)


def warned(fit: UslFit, words: str) -> bool:
    return any(words in warning for warning in fit.warnings)


def test_too_few_distinct_concurrencies_warn() -> None:
    fit = fit_usl(synthetic(connections=(1, 4, 16)), "three")
    assert fit.fitted
    assert warned(fit, "only 3 distinct connection counts")


def test_no_point_at_one_connection_warns() -> None:
    fit = fit_usl(synthetic(connections=(2, 4, 8, 16, 32)), "from two")
    assert warned(fit, "no point at 1 connection")


def test_no_crosstalk_means_no_peak() -> None:
    fit = fit_usl(synthetic(kappa=0.0, sigma=0.1, noise=0.0, repetitions=2), "amdahl")
    assert fit.kappa == 0.0
    assert fit.peak_connections is None and fit.peak_throughput is None
    assert warned(fit, "κ = 0, its lower bound")
    assert warned(fit, "predicts no peak")


def test_linear_scaling_puts_sigma_at_its_bound() -> None:
    fit = fit_usl(synthetic(sigma=0.0, kappa=0.0, noise=0.0, repetitions=2), "linear")
    assert fit.sigma == 0.0
    assert warned(fit, "σ = 0, its lower bound")


def test_a_peak_beyond_the_measured_range_is_called_an_extrapolation() -> None:
    fit = fit_usl(synthetic(connections=(1, 2, 4, 6, 8), noise=0.005), "short")
    assert fit.peak_connections is not None and fit.peak_connections > 8
    assert warned(fit, "beyond the largest measured concurrency")


def test_one_point_gives_no_fit_and_says_why() -> None:
    fit = fit_usl(synthetic(connections=(8,), repetitions=3), "lone")
    assert not fit.fitted
    assert fit.interval_method == NO_INTERVALS
    assert fit.peak_connections is None
    assert warned(fit, "no fit: 1 distinct connection count")


def test_all_equal_throughput_means_throughput_did_not_grow() -> None:
    frame = synthetic(repetitions=2)
    frame["throughput"] = 500.0
    fit = fit_usl(frame, "flat")
    assert fit.fitted
    assert fit.sigma == pytest.approx(1.0)
    assert math.isnan(fit.r_squared)
    assert warned(fit, "σ = 1, its upper bound")
    assert fit.predict(64.0) == pytest.approx(500.0, rel=1e-3)


def test_every_series_is_fitted_on_its_own() -> None:
    a = synthetic(repetitions=2)
    b = synthetic(sigma=0.2, kappa=0.0005, repetitions=2).assign(series="other")
    fits = fit_series(pd.concat([a, b], ignore_index=True), resamples=50)
    assert list(fits) == ["synthetic", "other"]
    assert fits["other"].sigma > fits["synthetic"].sigma


def test_as_many_trials_as_parameters_give_no_intervals_and_say_so() -> None:
    fit = fit_usl(synthetic(connections=(1, 4, 16), repetitions=1), "exact")
    assert fit.fitted
    assert fit.interval_method == NO_INTERVALS and fit.intervals == {}
    assert fit.band(np.array([2.0])) is None
    assert warned(fit, "no confidence intervals")
