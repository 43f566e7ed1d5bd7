"""What the runner gathers about the trial in flight, and the record it becomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bakeoff.core.endpoint import Endpoint
from bakeoff.core.measures import IntervalRow
from bakeoff.core.query_plans import QueryPlan
from bakeoff.core.telemetry import TelemetryRow
from bakeoff.harness.options import RunOptions
from bakeoff.harness.plan import Trial
from bakeoff.harness.schema_trial import model_entry
from bakeoff.harness.telemetry_sampler import TelemetrySampler
from bakeoff.harness.trial import PhaseJournal, TrialRecord
from bakeoff.harness.write_tracking import Write


@dataclass
class TrialState:
    trial: Trial | None = None
    journal: PhaseJournal | None = None
    """Where each phase's rows go the moment it ends (the run's writer)."""
    rows: list[IntervalRow] = field(default_factory=list)
    endpoint: Endpoint | None = None
    verify: dict[str, object] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    load_generator: dict[str, object] = field(default_factory=dict)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    writes: list[Write] = field(default_factory=list)
    """Writes of the measure phase, tracked while faults run (write_tracking.py)."""
    faults: list[dict[str, object]] = field(default_factory=list)
    lost_writes: dict[str, object] = field(default_factory=dict)
    plans: list[QueryPlan] = field(default_factory=list)
    sampler: TelemetrySampler | None = None
    telemetry: list[TelemetryRow] = field(default_factory=list)


def trial_record(
    options: RunOptions,
    trial: Trial,
    state: TrialState,
    started: datetime,
    status: str,
    error: str | None,
) -> TrialRecord:
    endpoint = state.endpoint
    return TrialRecord(
        trial=trial.index,
        repetition=trial.repetition,
        engine=trial.label,
        engine_version=endpoint.version if endpoint else "unknown",
        workload=trial.workload,
        endpoint_display_url=endpoint.display_url if endpoint else "",
        settings=dict(endpoint.settings) if endpoint else {},
        provenance=dict(endpoint.provenance) if endpoint else {},
        adapter=trial.adapter.name,
        data_model=model_entry(trial),
        answers=state.answers,
        plans=state.plans,
        connections=options.connections,
        point=dict(trial.point),
        seed=trial.workload.seed,
        started_at=started,
        ended_at=datetime.now(UTC),
        status=status,
        error=error,
        verify=state.verify,
        rows=state.rows,
        telemetry=state.telemetry,
        load_generator={**options.describe_load(), **state.load_generator},
        faults=state.faults,
        lost_writes=state.lost_writes,
    )
