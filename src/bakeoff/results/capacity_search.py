"""The search for the highest open-loop rate an engine sustains within an SLO: which
rate to measure next, given the steps measured so far, and what they conclude.

Both are pure functions of the step history, so a search resumed from a run folder
picks up exactly where it stopped (docs/capacity.md, "The search"):

1. ramp: from `start_rate`, multiply by `factor` while steps hold;
2. bisect: between the highest rate that held (low) and the lowest that did not above
   it (high), measure their geometric mean until high is within `precision` of low;
3. confirm: measure low again until it has held `confirmations` times. A miss on a
   repetition makes low a rejected rate and the bisection resumes below it.

Once a rate fails, every rate above it is treated as failing (capacity is monotone in
the rate); a rate that held once and then failed counts as failed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SearchRule:
    start_rate: float = 1000.0
    """The ramp's first rate, ops/s."""
    factor: float = 2.0
    """The ramp's multiplier, and its divisor when the first rate already fails."""
    precision: float = 0.05
    """Bisection stops when high ≤ low × (1 + precision)."""
    tolerance: float = 0.05
    """A step holds only when it achieved at least (1 − tolerance) of its target rate."""
    confirmations: int = 2
    """How many times the maximum must hold: once, and again on repetition."""
    min_rate: float = 1.0
    """Below this the search gives up: the engine sustains no rate within the SLO."""

    def __post_init__(self) -> None:
        if not (self.start_rate > 0 and self.factor > 1 and self.precision > 0):
            raise ValueError("start rate, precision must be positive and the factor above 1")
        if not 0 <= self.tolerance < 1:
            raise ValueError(f"tolerance must lie in [0, 1), got {self.tolerance}")
        if self.confirmations < 1:
            raise ValueError("a maximum needs at least one confirmation")

    def describe(self) -> str:
        return (
            f"open-loop steps ramp from {self.start_rate:g} ops/s ×{self.factor:g} until one "
            f"misses, then bisect (geometric mean) between the highest held and the lowest "
            f"missed rate until they are within {self.precision:.0%}; a step holds when it "
            f"achieves ≥ {1 - self.tolerance:.0%} of its target and meets the SLO on "
            f"response time, and the maximum must hold {self.confirmations} times"
        )

    def uncertainty(self) -> str:
        return (
            f"low is the highest target rate that held {self.confirmations} times, high "
            "the lowest target rate that missed above it (null: none missed); the "
            "sustained maximum lies between them"
        )


@dataclass(frozen=True)
class Step:
    """One measured step, as the manifest's capacity block records it."""

    step: int
    trial: int
    repetition: int
    target_rate: float
    achieved_rate: float
    percentiles_us: Mapping[str, float]
    error_rate: float
    duration_s: float
    accepted: bool
    reasons: Sequence[str] = field(default_factory=tuple)

    def manifest(self) -> dict[str, object]:
        return {
            "step": self.step,
            "trial": self.trial,
            "repetition": self.repetition,
            "target_rate": self.target_rate,
            "achieved_rate": self.achieved_rate,
            "percentiles_us": dict(self.percentiles_us),
            "error_rate": self.error_rate,
            "duration_s": self.duration_s,
            "accepted": self.accepted,
            "reasons": list(self.reasons),
        }

    @classmethod
    def from_manifest(cls, entry: Mapping[str, object]) -> Step:
        """A step as an earlier run recorded it (to resume its search)."""
        percentiles = entry.get("percentiles_us") or {}
        reasons = entry.get("reasons") or []
        assert isinstance(percentiles, Mapping) and isinstance(reasons, list)
        return cls(
            step=int(str(entry["step"])),
            trial=int(str(entry["trial"])),
            repetition=int(str(entry.get("repetition", 0))),
            target_rate=float(str(entry["target_rate"])),
            achieved_rate=float(str(entry.get("achieved_rate") or 0.0)),
            percentiles_us={str(k): float(v) for k, v in percentiles.items()},
            error_rate=float(str(entry.get("error_rate") or 0.0)),
            duration_s=float(str(entry.get("duration_s") or 0.0)),
            accepted=bool(entry["accepted"]),
            reasons=[str(r) for r in reasons],
        )


@dataclass(frozen=True)
class Bracket:
    """What the steps so far say about the maximum."""

    low: float | None
    """Highest rate that held, below every rate that missed (None: none held)."""
    high: float | None
    """Lowest rate that missed (None: none has)."""
    held: int
    """How many times `low` held."""


def bracket(steps: Sequence[Step]) -> Bracket:
    missed = [s.target_rate for s in steps if not s.accepted]
    high = min(missed) if missed else None
    held = [s.target_rate for s in steps if s.accepted and (high is None or s.target_rate < high)]
    low = max(held) if held else None
    return Bracket(low, high, held.count(low) if low is not None else 0)


def next_rate(
    steps: Sequence[Step], rule: SearchRule, *, last_chance: bool = False
) -> float | None:
    """The target rate to measure next; None when the search is over. `last_chance`:
    the budget allows one more step, which goes to confirming the maximum so far."""
    b = bracket(steps)
    if b.low is None:
        if b.high is None:
            return rule.start_rate
        lower = _round(b.high / rule.factor)
        return lower if lower >= rule.min_rate else None
    if b.held < rule.confirmations and last_chance:
        return b.low
    if b.high is None:
        return _round(b.low * rule.factor)
    if b.high > b.low * (1 + rule.precision):
        middle = _round(math.sqrt(b.low * b.high))
        if b.low < middle < b.high:
            return middle
    return b.low if b.held < rule.confirmations else None


def _round(rate: float) -> float:
    """Three significant digits: rates a person can read back and type in."""
    if rate <= 0:
        return rate
    digits = 2 - math.floor(math.log10(rate))
    return round(rate, digits) if digits > 0 else float(round(rate, digits))


@dataclass(frozen=True)
class Outcome:
    max_rate: float | None
    """The highest rate that held `confirmations` times (None: none did)."""
    low: float | None
    high: float | None
    converged: bool


def outcome(steps: Sequence[Step], rule: SearchRule) -> Outcome:
    """The maximum the steps establish, and whether the search had finished."""
    b = bracket(steps)
    counts: dict[float, int] = {}
    for s in steps:
        if s.accepted and (b.high is None or s.target_rate < b.high):
            counts[s.target_rate] = counts.get(s.target_rate, 0) + 1
    confirmed = [rate for rate, n in counts.items() if n >= rule.confirmations]
    best = max(confirmed) if confirmed else None
    return Outcome(best, best, b.high, next_rate(steps, rule) is None)
