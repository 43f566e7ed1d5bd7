"""What the manifests say about schema workloads: each engine's data model (its layout
and workarounds) and whether its answers agreed with the run's reference."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bakeoff.core.formats import as_text
from bakeoff.report.views import DataModelUse
from bakeoff.results.reader import StoredRun


def data_model_uses(runs: Sequence[StoredRun]) -> tuple[DataModelUse, ...]:
    """One entry per workload and engine (its first trial with a data model)."""
    found: dict[tuple[str, str], DataModelUse] = {}
    for run in runs:
        for trial in run.trials:
            model = trial.get("data_model")
            if not isinstance(model, Mapping):
                continue
            key = (as_text(trial.get("workload")), as_text(trial.get("engine")))
            if key in found:
                continue
            verify = trial.get("verify")
            found[key] = DataModelUse(
                workload=key[0],
                engine=key[1],
                model=as_text(model.get("name")),
                description=as_text(model.get("description")),
                layout=tuple(as_text(line) for line in _list(model.get("layout"))),
                workarounds=tuple(
                    f"{name}: {_workaround(w)}"
                    for name, w in _mapping(model.get("workarounds")).items()
                ),
                answers=_answers(_mapping(verify), as_text(trial.get("status"))),
            )
    return tuple(found.values())


def _workaround(entry: object) -> str:
    described = _mapping(entry)
    return as_text(described.get("note")) or as_text(described.get("kind"))


def _answers(verify: Mapping[str, Any], status: str) -> str:
    difference = verify.get("first_difference")
    if isinstance(difference, Mapping):
        return (
            f"differ from {as_text(difference.get('reference_engine'))}'s on"
            f" {as_text(difference.get('operation'))} with"
            f" {as_text(difference.get('parameters'))}: {as_text(difference.get('answer'))}"
            f" instead of {as_text(difference.get('reference_answer'))}"
        )
    agree = verify.get("answers_agree")
    if agree == "reference":
        return "the reference (first trial of the workload)"
    if isinstance(agree, str):
        return agree
    return f"not compared (trial {status})"


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
