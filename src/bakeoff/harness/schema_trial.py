"""What a trial does differently for a schema workload, so the runner stays one path:
the layout it sets up, the answers taken after the load, what the verify phase checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bakeoff.core.records import TableSpec
from bakeoff.core.schema import Schema
from bakeoff.harness.answers_check import answers_after_load, invariants, summary_of
from bakeoff.harness.model_plan import describe_model
from bakeoff.harness.plan import Trial
from bakeoff.harness.verify import verify_records


def layout_of(trial: Trial) -> TableSpec | Schema:
    """What `setup` and `teardown` are given: the table, or a data model's schema."""
    workload = trial.workload
    return workload.data_schema() if trial.model else workload.table_spec()


def answers_of(control: Any, trial: Trial) -> dict[str, dict[str, Any]]:
    """A schema workload's verification answers right after the load (empty otherwise)."""
    return answers_after_load(control, trial.workload) if trial.model else {}


def verify_trial(
    control: Any,
    trial: Trial,
    counts: Mapping[str, int],
    sample: int,
    answers: Mapping[str, Mapping[str, Any]],
) -> dict[str, object]:
    """The verify phase's findings ("ok" and, when not, "problem")."""
    if trial.model is None:
        return verify_records(control, trial.workload, counts, sample)
    problems = invariants(control, trial.workload)
    found: dict[str, object] = {"ok": not problems, "answers_after_load": summary_of(answers)}
    if problems:
        found["problem"] = "; ".join(problems)
    return found


def model_entry(trial: Trial) -> dict[str, object] | None:
    """The manifest's description of the trial's data model (None: key-value workload)."""
    return describe_model(trial.workload, trial.model) if trial.model else None
