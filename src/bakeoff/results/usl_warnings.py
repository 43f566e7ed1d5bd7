"""When the data do not support a USL fit, or what it found needs saying: too few
concurrencies, no point at one connection, a coefficient at its bound, a peak beyond the
measured range (docs/capacity.md lists them)."""

from __future__ import annotations

MIN_DISTINCT = 3
"""The USL has three parameters: fewer concurrencies cannot determine them."""
ENOUGH_DISTINCT = 4
"""With fewer, three parameters meet as many points and the fit checks nothing."""


def data_warnings(distinct: list[float]) -> tuple[str, ...]:
    found: list[str] = []
    shown = ", ".join(f"{n:g}" for n in distinct) or "none"
    if len(distinct) < MIN_DISTINCT:
        found.append(
            f"no fit: {len(distinct)} distinct connection count(s) ({shown}); the USL's "
            f"three parameters need at least {MIN_DISTINCT}, and {ENOUGH_DISTINCT} to be "
            "checked"
        )
    elif len(distinct) < ENOUGH_DISTINCT:
        found.append(
            f"only {len(distinct)} distinct connection counts ({shown}): three parameters "
            "meet three points, so the fit passes through them and checks nothing; "
            f"measure {ENOUGH_DISTINCT} or more"
        )
    if distinct and min(distinct) != 1:
        found.append(
            "no point at 1 connection: λ, the throughput of one connection, is "
            "extrapolated, and σ and κ with it"
        )
    return tuple(found)


def fit_warnings(sigma: float, kappa: float, peak: float | None, n_max: float) -> tuple[str, ...]:
    found: list[str] = []
    if sigma == 0.0:
        found.append(
            "σ = 0, its lower bound: no contention measured, or a negative value (which "
            "the USL does not allow) forced to zero"
        )
    if sigma >= 1.0:
        found.append("σ = 1, its upper bound: throughput did not grow with connections at all")
    if kappa == 0.0:
        levels_off = "" if sigma == 0.0 else " (it levels off towards λ/σ)"
        found.append(
            "κ = 0, its lower bound: no crosstalk measured, so the fit predicts no peak"
            f"{levels_off}; a negative value, if that is what the data held, was forced "
            "to zero"
        )
    elif peak is not None and peak > n_max:
        found.append(
            f"the predicted peak N* = {peak:,.0f} lies beyond the largest measured "
            f"concurrency ({n_max:g}): it is an extrapolation"
        )
    return tuple(found)
