"""What the runner hands over for each trial, and the sink it hands it to.

The result store (`bakeoff.results.writer.RunWriter`) is the sink of a real run; the harness
knows only this small contract, so results sit above the harness and never the reverse.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bakeoff.core.measures import IntervalRow, Phase
from bakeoff.core.query_plans import QueryPlan
from bakeoff.core.telemetry import TelemetryRow
from bakeoff.workloads.model import Workload

STATUSES = frozenset({"ok", "failed", "interrupted", "partial"})
"""What a trial may end as (partial: a worker's node was lost mid-run; what was merged
before is kept)."""


@dataclass(frozen=True)
class TrialRecord:
    """What the runner hands over for each finished (or failed, or interrupted) trial."""

    trial: int
    repetition: int
    engine: str
    engine_version: str
    workload: Workload
    endpoint_display_url: str
    settings: Mapping[str, str]
    provenance: Mapping[str, str]
    adapter: str
    connections: int
    """Connections over all worker processes (docs/glossary.md)."""
    seed: int
    started_at: datetime
    ended_at: datetime
    status: str
    error: str | None
    verify: Mapping[str, object]
    """Findings of the verify phase (record counts, mismatches, ...)."""
    rows: Sequence[IntervalRow]
    load_generator: Mapping[str, object] = field(default_factory=dict)
    """How the load was generated and whether it kept up: the processes × clients split,
    open or closed loop, target and achieved rate, client and engine CPU, and the
    client-saturation flag."""

    data_model: Mapping[str, object] | None = None
    """A schema workload's data model: name, description, layout (DDL), workarounds."""
    point: Mapping[str, float] = field(default_factory=dict)
    """The swept parameters of this trial (`bakeoff sweep`, `bakeoff capacity`), e.g.
    {"connections": 8} or {"rate": 2000.0}; empty for an ordinary trial."""
    answers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """A schema workload's verification answers per read operation (parameters and
    canonical answers), kept in memory to compare engines; the manifest keeps checksums."""
    plans: Sequence[QueryPlan] = ()
    """The query shapes' plans, explained after the load and after the run
    (docs/query-plans.md); empty for an adapter without Capability.EXPLAIN."""
    telemetry: Sequence[TelemetryRow] = ()
    """The container's and the engine's metrics per interval (harness/telemetry_sampler.py)."""
    faults: Sequence[Mapping[str, object]] = ()
    """The faults scheduled in the measure phase: each as written, its node, and when it
    actually began and ended (seconds from the phase start; docs/faults.md)."""
    lost_writes: Mapping[str, object] = field(default_factory=dict)
    """With faults: the acknowledged writes read back, counted stable / lost / stale."""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"trial status {self.status!r} is not one of {sorted(STATUSES)}")


@dataclass(frozen=True)
class PhaseRecord:
    """One phase of the trial in flight, handed over the moment the phase ends."""

    trial: int
    repetition: int
    engine: str
    engine_version: str
    workload: Workload
    phase: Phase
    rows: Sequence[IntervalRow]
    telemetry: Sequence[TelemetryRow] = ()


class PhaseJournal(Protocol):
    """Keeps each phase of the trial in flight, so a process killed outright (SIGKILL)
    loses at most the phase it was in."""

    def add_phase(self, phase: PhaseRecord) -> None: ...


class TrialSink(PhaseJournal, Protocol):
    """Where finished trials go, one at a time (their phases before them, as each ends),
    then the run's final status."""

    def add_trial(self, trial: TrialRecord) -> None:
        """Keep the whole trial; it replaces the phases kept of it."""

    def finish(self, status: str) -> object:
        """Close the run; what it returns (the run folder, say) is the sink's own."""
