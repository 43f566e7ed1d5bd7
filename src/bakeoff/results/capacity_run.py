"""Driving a capacity search through the ordinary runner: the trials to run, decided one
at a time from the steps judged so far, and the manifest's `capacity` block kept up to
date as each trial is written (docs/capacity.md).

`CapacitySearch` is both the runner's list of trials (an iterator that decides the next
rate only once the previous trial has been written) and the sink the runner writes to
(it forwards to the run's writer, then judges the trial). Engines are searched one after
the other; each gets an equal share of the budget left when its turn comes, so one that
finishes early leaves its time to the next.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from bakeoff.harness.options import RunOptions
from bakeoff.harness.plan import Trial
from bakeoff.harness.points import at_point, options_at
from bakeoff.harness.trial import PhaseRecord, TrialRecord, TrialSink
from bakeoff.results.capacity_search import SearchRule, Step, next_rate, outcome
from bakeoff.results.capacity_steps import step_of
from bakeoff.results.reader import load_manifest
from bakeoff.results.slo import Slo

SECTION = "capacity"
"""The manifest's top-level key of a capacity search."""
FINISH_RESERVE = 0.03
"""Share of the budget kept for what follows the last step (removing the containers,
writing the run), so the command as a whole ends within its budget."""


class SectionWriter(TrialSink, Protocol):
    """The run's writer, which also keeps top-level manifest sections (RunWriter)."""

    def set_section(self, name: str, value: Mapping[str, object]) -> None: ...


StepReport = Callable[[str, Step], None]
"""Told each step as it is judged (engine label, step): the command's progress lines."""


@dataclass
class _Engine:
    trial: Trial
    """The engine's planned trial, which each step re-runs at its rate."""
    steps: list[Step] = field(default_factory=list)
    earlier: list[Step] = field(default_factory=list)
    """Steps carried over from the run being resumed."""
    converged: bool = False

    @property
    def all_steps(self) -> list[Step]:
        return [*self.earlier, *self.steps]


@dataclass(frozen=True)
class Resumed:
    """What an earlier capacity run left: its id and each engine's steps."""

    run_id: str
    steps: Mapping[str, Sequence[Step]]
    next_trial: int
    """The first trial number not used by the earlier run (numbers stay unique)."""


class ResumeError(ValueError):
    """The run named to resume holds no capacity search."""


def resumed_from(run_dir: Path | str) -> Resumed:
    """The steps an earlier `bakeoff capacity` run measured, to continue its search."""
    manifest = load_manifest(run_dir)
    block = manifest.get(SECTION)
    engines = block.get("engines") if isinstance(block, Mapping) else None
    if not isinstance(engines, Mapping):
        raise ResumeError(f"{run_dir}: not a capacity run (its manifest has no capacity block)")
    steps: dict[str, list[Step]] = {}
    for label, entry in engines.items():
        recorded = entry.get("steps", []) if isinstance(entry, Mapping) else []
        steps[str(label)] = [Step.from_manifest(s) for s in recorded if isinstance(s, Mapping)]
    trials = manifest.get("trials")
    used = (
        [int(t["trial"]) for t in trials if isinstance(t, Mapping)]
        if isinstance(trials, list)
        else []
    )
    numbers = [s.trial for found in steps.values() for s in found]
    return Resumed(
        str(manifest.get("run_id", Path(run_dir).name)),
        steps,
        max([*used, *numbers], default=-1) + 1,
    )


class CapacitySearch:
    def __init__(
        self,
        trials: Sequence[Trial],
        options: RunOptions,
        writer: SectionWriter,
        *,
        slo: Slo,
        rule: SearchRule,
        budget_s: float,
        connections: int,
        cores: int,
        resumed: Resumed | None = None,
        on_step: StepReport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._options = options
        self._writer = writer
        self._slo = slo
        self._rule = rule
        self._budget_s = budget_s
        self._connections = connections
        self._cores = cores
        self._resumed = resumed
        self._on_step = on_step
        self._clock = clock
        earlier = resumed.steps if resumed else {}
        self._engines = {
            t.label: _Engine(t, earlier=list(earlier.get(t.label, ()))) for t in trials
        }
        self._next_index = resumed.next_trial if resumed else 0
        self._pending: dict[int, tuple[str, float]] = {}
        """Trial index -> (engine label, target rate) of the trial in flight."""
        self._started: float | None = None
        self._step_s = 0.0
        """The longest step so far, trial start to written: what the next one may take."""
        self._asked_at = 0.0

    # -- the trials ------------------------------------------------------------------

    def __iter__(self) -> Iterator[Trial]:
        self._started = self._clock()
        labels = list(self._engines)
        budget_s = self._budget_s * (1 - FINISH_RESERVE)
        for position, label in enumerate(labels):
            engine = self._engines[label]
            left = budget_s - (self._clock() - self._started)
            deadline = self._clock() + max(0.0, left) / (len(labels) - position)
            while True:
                remaining = deadline - self._clock()
                last_chance = remaining < 2 * self._step_s
                rate = next_rate(engine.all_steps, self._rule, last_chance=last_chance)
                if rate is None:
                    engine.converged = True
                    break
                if remaining <= 0 or remaining < self._step_s:
                    break  # out of time: converged stays False
                yield self._trial_at(engine, rate)
            self._write_section()

    def _trial_at(self, engine: _Engine, rate: float) -> Trial:
        index = self._next_index
        self._next_index += 1
        repetition = sum(1 for s in engine.all_steps if s.target_rate == rate)
        point = {"connections": float(self._connections), "rate": rate}
        options = options_at(self._options, point, self._cores)
        self._pending[index] = (engine.trial.label, rate)
        self._asked_at = self._clock()
        return at_point(engine.trial, index, repetition, {"rate": rate}, options)

    # -- the sink --------------------------------------------------------------------

    def add_phase(self, phase: PhaseRecord) -> None:
        self._writer.add_phase(phase)

    def add_trial(self, trial: TrialRecord) -> None:
        self._writer.add_trial(trial)
        label, rate = self._pending.pop(trial.trial, (trial.engine, 0.0))
        if trial.status == "interrupted" or label not in self._engines:
            return  # a step cut short says nothing about the rate
        self._step_s = max(self._step_s, self._clock() - self._asked_at)
        engine = self._engines[label]
        number = len(engine.all_steps) + 1
        step = step_of(trial, number, rate, self._slo, self._rule)
        engine.steps.append(step)
        if self._on_step is not None:
            self._on_step(label, step)
        self._write_section()

    def finish(self, status: str) -> object:
        self._write_section()
        return self._writer.finish(status)

    # -- the manifest ----------------------------------------------------------------

    def section(self) -> dict[str, object]:
        """The manifest's `capacity` block (the contract in docs/capacity.md)."""
        engines: dict[str, object] = {}
        for label, engine in self._engines.items():
            found = outcome(engine.all_steps, self._rule)
            steps = [s.manifest() for s in engine.steps]
            if self._resumed is not None:
                steps = [
                    {**s.manifest(), "run": self._resumed.run_id} for s in engine.earlier
                ] + steps
            engines[label] = {
                "max_rate": found.max_rate,
                "low": found.low,
                "high": found.high,
                "uncertainty": self._rule.uncertainty(),
                "connections": self._connections,
                "converged": engine.converged,
                "steps": steps,
            }
        block: dict[str, object] = {
            "slo": self._slo.manifest(),
            "method": self._rule.describe(),
            "budget_s": self._budget_s,
            "engines": engines,
        }
        if self._resumed is not None:
            block["resumed_from"] = self._resumed.run_id
        return block

    def _write_section(self) -> None:
        self._writer.set_section(SECTION, self.section())
