"""Gunther's Universal Scalability Law fitted to throughput against concurrency.

X(N) = λN / (1 + σ(N−1) + κN(N−1)): λ is the throughput of one connection, σ the share
of the work that serialises (contention), κ the cost of keeping N connections coherent
with each other (crosstalk). With κ > 0 throughput peaks at N* = √((1−σ)/κ) and falls
beyond it; with κ = 0 it levels off towards λ/σ.

The fit is scipy's `curve_fit` (trust-region reflective least squares) over every
trial, bounded to λ > 0, 0 ≤ σ ≤ 1, κ ≥ 0. Its confidence intervals come from a
bootstrap over the repetitions when every concurrency was measured at least twice (each
resample draws, at each N, that many trials with replacement, and is fitted again), else
from the fit's covariance (estimate ± t·standard error, and parameter sets drawn from
the normal distribution it describes for N*, the peak and the curve's band).
`UslFit.interval_method` says which. docs/capacity.md explains how to read it.
"""

from __future__ import annotations

import math
import warnings as python_warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats
from scipy.optimize import OptimizeWarning, curve_fit

from bakeoff.results.usl_warnings import MIN_DISTINCT, data_warnings, fit_warnings

FloatArray = npt.NDArray[np.float64]

USL_COLUMNS = ("series", "connections", "repetition", "throughput")
"""What `fit_usl` reads: one row per trial. `series` is an engine label (with any other
swept coordinate, "redis cpus=2"); repetitions at one N are the bootstrap's units."""

LEVEL = 0.95
RESAMPLES = 200
"""Bootstrap refits per series: enough for a 95 % percentile interval to settle to
several percent, few enough that a report with several engines renders in seconds."""
NEGLIGIBLE = 1e-3
"""A coefficient that moves the denominator by less than this (0.1 % of throughput) over
the measured range is at its bound: no measurement can tell it from the bound."""

PARAMETERS = ("lambda", "sigma", "kappa")
BOOTSTRAP = "bootstrap"
COVARIANCE = "covariance"
NO_INTERVALS = "none"


def usl_throughput(
    connections: FloatArray | float, lambda_: float, sigma: float, kappa: float
) -> FloatArray:
    """X(N) of the USL."""
    n = np.asarray(connections, dtype=np.float64)
    result: FloatArray = lambda_ * n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0))
    return result


@dataclass(frozen=True)
class UslFit:
    """The USL fitted to one series; NaN parameters when no fit was possible (`warnings`
    says why)."""

    series: str
    lambda_: float
    """Throughput of one connection, ops/s."""
    sigma: float
    kappa: float
    intervals: Mapping[str, tuple[float, float]]
    """"lambda", "sigma", "kappa", "peak_connections", "peak_throughput" → (low, high) at
    `level`; empty when none could be computed."""
    interval_method: str
    """BOOTSTRAP, COVARIANCE or NO_INTERVALS."""
    interval_note: str
    """How the intervals were made, one sentence for a reader."""
    level: float
    r_squared: float
    """1 − SS_residual / SS_total over the trials; NaN when throughput never varied."""
    connections: tuple[float, ...]
    throughput: tuple[float, ...]
    """The trials fitted, ops/s."""
    residuals: tuple[float, ...]
    """Measured minus fitted throughput, per trial in the order above."""
    peak_connections: float | None
    """N* = √((1−σ)/κ); None when κ = 0 (no peak)."""
    peak_throughput: float | None
    warnings: tuple[str, ...]
    draws: FloatArray = field(default_factory=lambda: np.empty((0, 3)), compare=False)
    """Parameter sets (λ, σ, κ) of the bootstrap or drawn from the covariance: the band."""

    @property
    def fitted(self) -> bool:
        return math.isfinite(self.lambda_)

    def predict(self, connections: FloatArray | float) -> FloatArray:
        return usl_throughput(connections, self.lambda_, self.sigma, self.kappa)

    def band(self, connections: FloatArray) -> tuple[FloatArray, FloatArray] | None:
        """The curve's pointwise interval at `level`, or None without draws."""
        if len(self.draws) < 2:
            return None
        n = np.asarray(connections, dtype=np.float64)
        curves = np.stack([usl_throughput(n, *row) for row in self.draws])
        alpha = (1.0 - self.level) / 2.0
        low, high = np.quantile(curves, [alpha, 1.0 - alpha], axis=0)
        return low, high


def fit_usl(
    frame: pd.DataFrame,
    series: str = "",
    *,
    level: float = LEVEL,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> UslFit:
    """Fit one series' trials (`connections`, `repetition`, `throughput` columns)."""
    usable = frame[np.isfinite(frame["throughput"]) & (frame["connections"] > 0)]
    n = usable["connections"].to_numpy(dtype=np.float64)
    x = usable["throughput"].to_numpy(dtype=np.float64)
    distinct = sorted(set(n.tolist()))
    found = data_warnings(distinct)
    if len(distinct) < MIN_DISTINCT or not np.any(x > 0):
        return _no_fit(series, n, x, level, found)
    try:
        params, covariance = _fit(n, x)
    except (RuntimeError, ValueError) as exc:
        return _no_fit(series, n, x, level, (*found, f"the fit did not converge ({exc})"))
    lambda_, sigma, kappa = params
    n_max = float(max(distinct))
    sigma, kappa = _snap(sigma, kappa, n_max)
    fitted = usl_throughput(n, lambda_, sigma, kappa)
    residuals = x - fitted
    total = float(np.sum((x - x.mean()) ** 2))
    r_squared = 1.0 - float(np.sum(residuals**2)) / total if total > 0 else math.nan
    peak_n, peak_x = _peak(lambda_, sigma, kappa)
    counts = usable.groupby("connections").size()
    rng = np.random.default_rng(seed)
    if int(counts.min()) >= 2:
        draws = _bootstrap(usable, params, resamples, rng)
        method = BOOTSTRAP
        fewest, most = int(counts.min()), int(counts.max())
        per_point = f"{fewest}" if fewest == most else f"{fewest}–{most}"
        note = (
            f"bootstrap over the repetitions at each concurrency ({len(draws)} refits, "
            f"{per_point} trials per point)"
        )
        intervals = _percentile_intervals(draws, level)
    else:
        draws, intervals = _covariance_intervals(params, covariance, len(x), level, rng)
        method = COVARIANCE
        note = (
            "from the fit's covariance (some concurrency was measured once, so there is no "
            "repetition to resample)"
        )
    if not intervals:
        method, note = NO_INTERVALS, "none could be made"
        found += (
            "no confidence intervals: the refits failed or the fit's covariance could not "
            "be estimated",
        )
    found += fit_warnings(sigma, kappa, peak_n, n_max)
    return UslFit(
        series=series,
        lambda_=float(lambda_),
        sigma=sigma,
        kappa=kappa,
        intervals=intervals,
        interval_method=method,
        interval_note=note,
        level=level,
        r_squared=r_squared,
        connections=tuple(n.tolist()),
        throughput=tuple(x.tolist()),
        residuals=tuple(residuals.tolist()),
        peak_connections=peak_n,
        peak_throughput=peak_x,
        warnings=found,
        draws=draws,
    )


def fit_series(
    frame: pd.DataFrame, *, level: float = LEVEL, resamples: int = RESAMPLES
) -> dict[str, UslFit]:
    """`fit_usl` of every series of a USL_COLUMNS frame, in the frame's order."""
    return {
        str(name): fit_usl(part, str(name), level=level, resamples=resamples)
        for name, part in frame.groupby("series", sort=False)
    }


def _jacobian(n: FloatArray, lambda_: float, sigma: float, kappa: float) -> FloatArray:
    denominator = 1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0)
    slope = -lambda_ * n * (n - 1.0) / denominator**2
    return np.stack([n / denominator, slope, slope * n], axis=1)


def _fit(
    n: FloatArray, x: FloatArray, start: FloatArray | None = None
) -> tuple[FloatArray, FloatArray]:
    # Fitted in units of the largest throughput, so λ, σ and κ are of like size to the
    # solver; λ is scaled back afterwards (σ and κ have no unit).
    scale = float(np.max(x))
    if start is None:
        at_least = n == n.min()
        guess = (float(np.mean(x[at_least]) / n.min() / scale), 0.05, 1e-4)
    else:
        guess = (float(start[0]) / scale, float(min(start[1], 0.999)), float(start[2]))
    with python_warnings.catch_warnings():
        python_warnings.simplefilter("ignore", OptimizeWarning)
        params, covariance = curve_fit(
            usl_throughput,
            n,
            x / scale,
            p0=guess,
            jac=_jacobian,
            bounds=([1e-12, 0.0, 0.0], [np.inf, 1.0, np.inf]),
            method="trf",
            x_scale="jac",
            maxfev=5000,
        )
    params = np.asarray(params, dtype=np.float64)
    covariance = np.asarray(covariance, dtype=np.float64)
    params[0] *= scale
    covariance[0, :] *= scale
    covariance[:, 0] *= scale
    return params, covariance


def _snap(sigma: float, kappa: float, n_max: float) -> tuple[float, float]:
    """A coefficient that changes the denominator by less than NEGLIGIBLE over the
    measured range is at its bound: the solver stops just inside it."""
    span = max(n_max - 1.0, 1.0)
    if sigma * span < NEGLIGIBLE:
        sigma = 0.0
    elif (1.0 - sigma) * span / n_max < NEGLIGIBLE:
        sigma = 1.0
    kappa = 0.0 if kappa * n_max * max(n_max - 1.0, 1.0) < NEGLIGIBLE else float(kappa)
    return float(sigma), kappa


def _peak(lambda_: float, sigma: float, kappa: float) -> tuple[float | None, float | None]:
    if kappa <= 0.0:
        return None, None
    # Below one connection there is nothing to run: a σ of 1 peaks at the first.
    peak = max(math.sqrt(max(1.0 - sigma, 0.0) / kappa), 1.0)
    return peak, float(usl_throughput(peak, lambda_, sigma, kappa))


def _bootstrap(
    usable: pd.DataFrame, estimate: FloatArray, resamples: int, rng: np.random.Generator
) -> FloatArray:
    parts = list(usable.groupby("connections"))
    groups = [g["throughput"].to_numpy(dtype=np.float64) for _, g in parts]
    levels = [float(g["connections"].iloc[0]) for _, g in parts]
    draws: list[FloatArray] = []
    for _ in range(resamples):
        n_parts, x_parts = [], []
        for level_n, values in zip(levels, groups, strict=True):
            x_parts.append(rng.choice(values, size=len(values), replace=True))
            n_parts.append(np.full(len(values), level_n))
        try:
            params, _ = _fit(np.concatenate(n_parts), np.concatenate(x_parts), estimate)
        except (RuntimeError, ValueError):
            continue
        params[1], params[2] = _snap(params[1], params[2], max(levels))
        draws.append(params)
    return np.asarray(draws, dtype=np.float64).reshape(-1, 3)


def _covariance_intervals(
    params: FloatArray,
    covariance: FloatArray,
    observations: int,
    level: float,
    rng: np.random.Generator,
) -> tuple[FloatArray, dict[str, tuple[float, float]]]:
    errors = np.sqrt(np.diag(covariance)) if covariance.shape == (3, 3) else np.full(3, np.inf)
    freedom = observations - len(PARAMETERS)
    if freedom < 1 or not np.all(np.isfinite(errors)):
        return np.empty((0, 3)), {}
    t = float(stats.t.ppf(0.5 + level / 2.0, freedom))
    lower = np.array([0.0, 0.0, 0.0])
    upper = np.array([np.inf, 1.0, np.inf])
    intervals = {
        name: (
            float(max(params[i] - t * errors[i], lower[i])),
            float(min(params[i] + t * errors[i], upper[i])),
        )
        for i, name in enumerate(PARAMETERS)
    }
    draws = rng.multivariate_normal(params, covariance, size=RESAMPLES, method="eigh")
    draws = np.clip(draws, lower, upper)
    draws = draws[draws[:, 0] > 0]
    intervals.update(_peak_intervals(draws, level))
    return draws, intervals


def _percentile_intervals(draws: FloatArray, level: float) -> dict[str, tuple[float, float]]:
    if len(draws) < 2:
        return {}
    alpha = (1.0 - level) / 2.0
    out = {
        name: (
            float(np.quantile(draws[:, i], alpha)),
            float(np.quantile(draws[:, i], 1.0 - alpha)),
        )
        for i, name in enumerate(PARAMETERS)
    }
    out.update(_peak_intervals(draws, level))
    return out


def _peak_intervals(draws: FloatArray, level: float) -> dict[str, tuple[float, float]]:
    """N* and the peak over the draws; a draw without a peak (κ = 0) counts as an
    infinitely distant one, so the interval is open-ended when such draws are many."""
    peaks = [_peak(*row) for row in draws]
    n = np.array([p[0] if p[0] is not None else np.inf for p in peaks])
    x = np.array(
        [
            # Without a peak, throughput approaches λ/σ: unbounded when σ = 0 too.
            p[1] if p[1] is not None else (row[0] / row[1] if row[1] > 0 else np.inf)
            for p, row in zip(peaks, draws, strict=True)
        ]
    )
    if not len(n):
        return {}
    alpha = (1.0 - level) / 2.0
    # Order statistics, not interpolation: infinite values must stay infinite, not NaN.
    return {
        name: (
            float(np.quantile(values, alpha, method="inverted_cdf")),
            float(np.quantile(values, 1.0 - alpha, method="inverted_cdf")),
        )
        for name, values in (("peak_connections", n), ("peak_throughput", x))
    }


def _no_fit(
    series: str, n: FloatArray, x: FloatArray, level: float, found: tuple[str, ...]
) -> UslFit:
    if not any(w.startswith("no fit") for w in found):
        found = ("no fit: no throughput above zero", *found) if not np.any(x > 0) else found
    return UslFit(
        series=series,
        lambda_=math.nan,
        sigma=math.nan,
        kappa=math.nan,
        intervals={},
        interval_method=NO_INTERVALS,
        interval_note="none: no fit",
        level=level,
        r_squared=math.nan,
        connections=tuple(float(v) for v in n),
        throughput=tuple(float(v) for v in x),
        residuals=(),
        peak_connections=None,
        peak_throughput=None,
        warnings=found,
    )
