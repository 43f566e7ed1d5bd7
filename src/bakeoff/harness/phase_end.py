"""The end of a phase: its rows handed to the run's journal the moment it ends."""

from __future__ import annotations

from collections.abc import Sequence

from bakeoff.core.measures import IntervalRow, Phase
from bakeoff.core.telemetry import TelemetryRow
from bakeoff.engines.cleanup import shielded
from bakeoff.harness.plan import Trial
from bakeoff.harness.trial import PhaseJournal, PhaseRecord


def journal_phase(
    journal: PhaseJournal,
    trial: Trial,
    engine_version: str,
    phase: Phase,
    rows: Sequence[IntervalRow],
    telemetry: Sequence[TelemetryRow] = (),
) -> None:
    record = PhaseRecord(
        trial=trial.index,
        repetition=trial.repetition,
        engine=trial.label,
        engine_version=engine_version,
        workload=trial.workload,
        phase=phase,
        rows=rows,
        telemetry=telemetry,
    )
    # A signal waits for the write: a phase is kept whole or not at all.
    with shielded():
        journal.add_phase(record)
