"""When an automatic warm-up (`warmup_s: auto`, `--warmup auto`) has done its job.

The rule, a CV window with a drift check and an upper bound (docs/load-generator.md,
"Warm-up", argues the numbers from runs of the shipped engines):

- throughput is rated in steps of about `SteadyStateRule.step_s` (1 s) from the start
  of the warm-up, all connections together (`SteadyStateMonitor` says how);
- the warm-up ends at the end of the first step at which the last `window` steps
  (5) varied by at most `max_cv` (their coefficient of variation, 10 %) and did not
  drift: the least-squares line through them rises or falls by at most `max_drift`
  (10 %) of their mean over the window. The CV alone would pass a slow, smooth ramp,
  which is exactly what a warming cache looks like;
- whatever happens, it ends after `max_s` (30 s): an engine that never settles gets a
  bounded warm-up, and the record says that the bound, not the rule, ended it.

What it decided, how long it took and why it stopped go into the trial's manifest entry
(`load_generator.warmup.steady_state`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["SteadyStateMonitor", "SteadyStateRule", "Window", "window_of"]


@dataclass(frozen=True)
class Window:
    """The last `window` steps' throughputs, judged."""

    mean: float
    cv: float
    drift: float
    """Change of the least-squares line across the window, as a share of the mean."""


def window_of(rates: Sequence[float]) -> Window:
    """Mean, coefficient of variation and relative drift of consecutive throughputs (CV
    and drift are infinite when the mean is not positive: nothing ran, nothing is steady)."""
    n = len(rates)
    if n < 2:
        raise ValueError("a window needs at least two steps")
    mean = sum(rates) / n
    if mean <= 0:
        return Window(mean, math.inf, math.inf)
    variance = sum((r - mean) ** 2 for r in rates) / (n - 1)
    centre = (n - 1) / 2
    slope = sum((i - centre) * (r - mean) for i, r in enumerate(rates)) / sum(
        (i - centre) ** 2 for i in range(n)
    )
    return Window(mean, math.sqrt(variance) / mean, abs(slope) * (n - 1) / mean)


@dataclass(frozen=True)
class SteadyStateRule:
    window: int = 5
    """Steps judged together: five, like the five intervals a measured phase needs
    before its stability can be judged (bakeoff.results.validity)."""
    max_cv: float = 0.10
    """The variation a measured trial may show before it is flagged unstable."""
    max_drift: float = 0.10
    max_s: float = 30.0
    step_s: float = 1.0

    def __post_init__(self) -> None:
        if self.window < 2:
            raise ValueError(f"window must be at least 2 steps, got {self.window}")
        if not (self.step_s > 0 and self.max_s >= self.step_s * self.window):
            raise ValueError("max_s must leave room for one window of steps")

    def is_steady(self, judged: Window) -> bool:
        return judged.cv <= self.max_cv and judged.drift <= self.max_drift

    def describe(self) -> str:
        return (
            f"ends when the last {self.window} steps of {self.step_s:g} s varied by at most "
            f"{self.max_cv:.0%} (CV) and drifted by at most {self.max_drift:.0%} of their "
            f"mean; at most {self.max_s:g} s"
        )


@dataclass
class SteadyStateMonitor:
    """Fed the phase's progress (seconds since its start, operations completed so far) as
    often as the runner polls; says when the warm-up may end.

    Connections report progress a chunk of operations at a time (512 for a key-value
    workload), which a slow engine completes a few times a second: counting the
    operations that landed within each second would add the chunks' granularity to the
    throughput (1,022 and 1,534 ops/s alternating for DuckDB at a steady 1,300). So a
    step's throughput is taken between the polls at which the count changed, the first
    at least `step_s` after the previous step's: whole chunks over the time they took.
    A step waits for the count to change, so a stalled engine adds no step at all."""

    rule: SteadyStateRule = field(default_factory=SteadyStateRule)
    rates: list[float] = field(default_factory=list)
    """Throughput of each completed step (ops/s)."""
    steady_at_s: float | None = None
    last: Window | None = None
    _step_start: tuple[float, int] = (0.0, 0)
    _completed: int = 0

    def observe(self, elapsed_s: float, completed: int) -> bool:
        """Record progress; True once throughput is steady (and from then on)."""
        if self.steady_at_s is not None:
            return True
        changed, self._completed = completed != self._completed, completed
        start_s, start_ops = self._step_start
        if not changed or elapsed_s - start_s < self.rule.step_s:
            return False
        self.rates.append((completed - start_ops) / (elapsed_s - start_s))
        self._step_start = (elapsed_s, completed)
        if len(self.rates) < self.rule.window:
            return False
        self.last = window_of(self.rates[-self.rule.window :])
        if self.rule.is_steady(self.last):
            self.steady_at_s = elapsed_s
            return True
        return False

    def outcome(self, wall_s: float) -> dict[str, object]:
        """What the manifest records of the warm-up: the rule, how long it took and why it
        stopped."""
        if self.steady_at_s is not None:
            stopped = "steady"
        elif wall_s >= self.rule.max_s - self.rule.step_s / 2:
            stopped = "upper bound"
        else:
            stopped = "phase ended"  # interrupted, or a connection failed
        last = self.last
        return {
            "rule": self.rule.describe(),
            "stopped": stopped,
            "warmup_s": round(wall_s, 3),
            "steps": len(self.rates),
            "step_ops_per_s": [round(r, 1) for r in self.rates],
            "last_window": (
                None
                if last is None
                else {
                    "mean_ops_per_s": round(last.mean, 1),
                    "cv": _finite_or_none(last.cv),
                    "drift": _finite_or_none(last.drift),
                }
            ),
        }


def _finite_or_none(value: float) -> float | None:
    return round(value, 4) if math.isfinite(value) else None
