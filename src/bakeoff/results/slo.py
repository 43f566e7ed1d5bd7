"""A latency SLO (`--slo 'p99<=2ms'`) and the judgement of one measured step against it.

Percentiles are of response time, measured from each operation's intended start in an
open loop, so a queue that builds up counts against the engine (docs/capacity.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

PERCENTILES = {"p50": "p50", "p90": "p90", "p99": "p99", "p999": "p999", "p99.9": "p999"}
"""The percentiles an SLO may bound (the ones every result row's histogram yields)."""
_UNITS_US = {"us": 1.0, "µs": 1.0, "ms": 1000.0, "s": 1_000_000.0}
_BOUND = re.compile(r"^\s*([a-z0-9.]+)\s*<=?\s*([0-9.]+)\s*(µs|us|ms|s|%)?\s*$")
DEFAULT_MAX_ERROR_RATE = 0.01


class SloError(ValueError):
    """An SLO that cannot be read; the message shows the syntax."""


@dataclass(frozen=True)
class Slo:
    percentiles_us: Mapping[str, float]
    """Upper bound per percentile of response time, µs ("p99": 2000.0)."""
    max_error_rate: float = DEFAULT_MAX_ERROR_RATE
    """Share of operations that may fail (0.01: 1 %)."""

    @property
    def text(self) -> str:
        """The SLO as one line, e.g. p99<=2ms,errors<=1%."""
        bounds = [f"{name}<={_duration(us)}" for name, us in self.percentiles_us.items()]
        return ",".join([*bounds, f"errors<={self.max_error_rate * 100:g}%"])

    def manifest(self) -> dict[str, object]:
        return {
            "text": self.text,
            "percentiles_us": dict(self.percentiles_us),
            "max_error_rate": self.max_error_rate,
        }


def parse_slo(texts: Sequence[str], max_errors: str | None = None) -> Slo:
    """`p99<=2ms`, `p999<=10ms`, `p50<=500us`, `errors<=0.1%`; several per text,
    comma-separated, or one per text. `max_errors` (`1%`, `0.01`) bounds the error rate
    too (default 1 %). Raises SloError."""
    bounds: dict[str, float] = {}
    error_rate: float | None = None
    for part in (p for text in texts for p in text.split(",") if p.strip()):
        match = _BOUND.match(part.lower())
        if match is None:
            raise SloError(f"SLO {part.strip()!r}: expected e.g. p99<=2ms or errors<=1%")
        name, number, unit = match.groups()
        value = _number(number, part)
        if name == "errors":
            error_rate = _share(value, unit, part)
        elif name in PERCENTILES:
            if unit in (None, "%"):
                raise SloError(f"SLO {part.strip()!r}: give a unit, us, ms or s")
            if value <= 0:
                raise SloError(f"SLO {part.strip()!r}: the bound must be positive")
            bounds[PERCENTILES[name]] = value * _UNITS_US[unit]
        else:
            raise SloError(f"SLO {part.strip()!r}: bound one of {', '.join(PERCENTILES)} or errors")
    if not bounds:
        raise SloError("the SLO bounds no percentile: give e.g. --slo 'p99<=2ms'")
    if max_errors is not None:
        match = re.fullmatch(r"\s*([0-9.]+)\s*(%)?\s*", max_errors)
        if match is None:
            raise SloError(f"--max-errors {max_errors!r}: expected a share, e.g. 1% or 0.01")
        error_rate = _share(_number(match.group(1), max_errors), match.group(2), max_errors)
    if error_rate is None:
        error_rate = DEFAULT_MAX_ERROR_RATE
    return Slo(dict(sorted(bounds.items(), key=_by_percentile)), error_rate)


def _by_percentile(item: tuple[str, float]) -> float:
    return float(item[0][1:].replace("999", "99.9"))


def _number(text: str, part: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise SloError(f"SLO {part.strip()!r}: {text!r} is not a number") from None
    return value


def _share(value: float, unit: str | None, part: str) -> float:
    share = value / 100 if unit == "%" else value
    if not 0 <= share <= 1:
        raise SloError(f"{part.strip()!r}: an error rate lies between 0 and 100 %")
    return share


def _duration(us: float) -> str:
    if us >= 1_000_000 and us % 1_000_000 == 0:
        return f"{us / 1_000_000:g}s"
    if us >= 1000:
        return f"{us / 1000:g}ms"
    return f"{us:g}us"


@dataclass(frozen=True)
class Measured:
    """What one step measured, as the SLO is judged on it."""

    target_rate: float
    achieved_rate: float
    percentiles_us: Mapping[str, float]
    """Of response time (intended start), µs: p50, p90, p99, p999."""
    error_rate: float
    duration_s: float
    failure: str | None = None
    """Why the trial failed, if it did."""
    notes: Sequence[str] = field(default_factory=tuple)
    """Said beside the reasons of a rejected step (a saturated load generator)."""


def judge(measured: Measured, slo: Slo, tolerance: float) -> list[str]:
    """Why the step misses, one reason per miss; empty when it holds: the trial ran,
    achieved at least (1 − tolerance) of its target rate, and met every SLO bound."""
    if measured.failure is not None:
        return [f"trial failed: {measured.failure}"]
    reasons: list[str] = []
    share = measured.achieved_rate / measured.target_rate
    if share < 1 - tolerance:
        # Rounded down: 94.8 % must not read as the 95 % it misses.
        shown = math.floor(share * 100)
        reasons.append(f"achieved {shown}% of target (< {1 - tolerance:.0%})")
    for name, bound in slo.percentiles_us.items():
        value = measured.percentiles_us.get(name, math.nan)
        if math.isnan(value):
            reasons.append(f"{name}: no operation completed")
        elif value > bound:
            reasons.append(f"{name} {value:,.0f} µs > SLO {bound:,.0f} µs")
    if measured.error_rate > slo.max_error_rate:
        reasons.append(f"errors {measured.error_rate:.2%} > SLO {slo.max_error_rate * 100:g}%")
    return [*reasons, *measured.notes] if reasons else []
