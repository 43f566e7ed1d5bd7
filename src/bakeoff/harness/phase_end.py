"""The end of a phase: its rows handed to the run's journal the moment it ends, and on
an interrupt its connections stopped and what they measured gathered."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence

from bakeoff.core.measures import IntervalRow, Phase
from bakeoff.engines.cleanup import shielded
from bakeoff.harness.clients import ClientGroup, PhaseResult
from bakeoff.harness.plan import Trial
from bakeoff.harness.trial import PhaseJournal, PhaseRecord

STOP_GRACE_S = 5.0
"""How long stopped connections may take to hand over their results; one stuck in a
driver call past that loses its rows rather than holding the run up."""


def journal_phase(
    journal: PhaseJournal,
    trial: Trial,
    engine_version: str,
    phase: Phase,
    rows: Sequence[IntervalRow],
) -> None:
    record = PhaseRecord(
        trial=trial.index,
        repetition=trial.repetition,
        engine=trial.engine.name,
        engine_version=engine_version,
        workload=trial.workload,
        phase=phase,
        rows=rows,
    )
    # A signal waits for the write: a phase is kept whole or not at all.
    with shielded():
        journal.add_phase(record)


def collect_stopped(
    groups: Sequence[ClientGroup], results: dict[int, PhaseResult], poll_s: float
) -> None:
    """Stop every group and gather the results they hand over within the grace period.

    Nothing raised here may replace the interrupt: a worker process that died has no
    rows to give, and the trial is recorded as interrupted either way.
    """
    for group in groups:
        with contextlib.suppress(Exception):
            group.request_stop()
    pending = {i for i in range(len(groups)) if i not in results}
    deadline = time.monotonic() + STOP_GRACE_S
    while pending and time.monotonic() < deadline:
        for i in sorted(pending):
            try:
                result = groups[i].wait(poll_s / len(groups))
            except Exception:
                pending.discard(i)
                continue
            if result is not None:
                results[i] = result
                pending.discard(i)
