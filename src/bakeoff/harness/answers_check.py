"""Verification of schema workloads: the same questions to every engine, and invariants.

After the load, every read operation of the workload is asked the same fixed parameter
sets on every engine (`verification_parameters`); the canonical answers' checksums go
into the manifest, and a trial whose answers differ from the first trial of the run with
the same workload fails, naming the operation, the parameters and both answers. The
measured phase's writes depend on timing (how many operations each engine completed), so
after it only invariants are checked: no stock below zero, every parent's sum-of-children
field equal to the sum over its children (docs/schema-workloads.md).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

from bakeoff.adapters.data_model import DataModel
from bakeoff.core.schema import OperationKind
from bakeoff.harness.trial import TrialRecord
from bakeoff.workloads.answers import canonical_answer, checksum
from bakeoff.workloads.logical import LogicalMix
from bakeoff.workloads.model import Workload
from bakeoff.workloads.parameters import verification_parameters

PARAMETER_SETS: Final = 10
"""Questions per read operation in the verification pass."""
_SHOWN_CHARS: Final = 600


def answers_after_load(model: DataModel, workload: Workload) -> dict[str, dict[str, Any]]:
    """Per read operation: its parameter sets and canonical answers."""
    mix = workload.operations
    assert isinstance(mix, LogicalMix)
    schema = workload.data_schema()
    found: dict[str, dict[str, Any]] = {}
    for name, operation in mix.items():
        if not operation.reads():
            continue
        parameters = verification_parameters(
            schema, name, operation, seed=workload.seed, count=PARAMETER_SETS
        )
        prepared = model.prepare(name, operation)
        answers = [canonical_answer(schema, operation, prepared(p)) for p in parameters]
        found[name] = {"parameters": parameters, "answers": answers}
    return found


def summary_of(answers: Mapping[str, Mapping[str, Any]]) -> dict[str, object]:
    """What the manifest keeps: a checksum per operation (answers stay in memory)."""
    return {
        "questions_per_operation": PARAMETER_SETS,
        "checksums": {name: checksum(a["answers"]) for name, a in answers.items()},
    }


def invariants(model: DataModel, workload: Workload) -> list[str]:
    """What is wrong with the data after the run (empty when nothing is)."""
    mix = workload.operations
    assert isinstance(mix, LogicalMix)
    schema = workload.data_schema()
    problems: list[str] = []
    for name, operation in mix.items():
        decrement = operation.decrement
        if operation.kind is OperationKind.TRANSACTION and decrement is not None:
            rows = model.dump(decrement.entity)
            negative = [r for r in rows if Decimal(str(r[decrement.field])) < 0]
            if negative:
                problems.append(
                    f"{name}: {len(negative)} {decrement.entity} rows with {decrement.field} < 0"
                )
    for entity, spec in schema.entities.items():
        for field, field_spec in spec.fields.items():
            if field_spec.sum_of_children:
                child = schema.children_of(entity)[0]
                problems += _sums(
                    model,
                    schema.entities[child].parent,
                    entity,
                    spec.key[0],
                    field,
                    child,
                    field_spec.sum_of_children,
                    field_spec.scale,
                )
    return problems


def _sums(
    model: DataModel,
    parent: Any,
    entity: str,
    key: str,
    field: str,
    child: str,
    factors: Sequence[str],
    scale: int,
) -> list[str]:
    totals: dict[object, Decimal] = defaultdict(Decimal)
    for row in model.dump(child):
        product = Decimal(1)
        for factor in factors:
            product *= Decimal(str(row[factor]))
        totals[row[parent.field]] += product
    unit = Decimal(1).scaleb(-scale)
    wrong = [
        r[key]
        for r in model.dump(entity)
        if Decimal(str(r[field])).quantize(unit) != totals[r[key]].quantize(unit)
    ]
    if not wrong:
        return []
    return [
        f"{entity}.{field} differs from the sum over its {child} for {len(wrong)} rows"
        f" (first: {key} {wrong[0]})"
    ]


class AnswerReferences:
    """The first trial with answers of each workload in a run: the reference the answers
    of every later trial of that workload must equal."""

    def __init__(self) -> None:
        self._first: dict[str, TrialRecord] = {}

    def checked(self, record: TrialRecord) -> TrialRecord:
        """`record`, failed when its answers differ from the reference's."""
        if record.status != "ok" or not record.answers:
            return record
        reference = self._first.setdefault(record.workload.spec_hash(), record)
        if reference is record:
            return dataclasses.replace(
                record, verify={**record.verify, "answers_agree": "reference"}
            )
        return compare(record, reference)


def compare(record: TrialRecord, reference: TrialRecord) -> TrialRecord:
    """`record`, failed when one of its answers differs from `reference`'s."""
    for name, mine in record.answers.items():
        theirs = reference.answers.get(name)
        if theirs is None:
            continue
        for params, got, expected in zip(
            mine["parameters"], mine["answers"], theirs["answers"], strict=True
        ):
            if got != expected:
                difference = {
                    "operation": name,
                    "parameters": params,
                    "answer": _shown(got),
                    "reference_engine": reference.engine,
                    "reference_answer": _shown(expected),
                }
                error = (
                    f"verification failed: answers differ from {reference.engine}'s on"
                    f" operation {name!r} with {params}"
                )
                verify = {
                    **record.verify,
                    "ok": False,
                    "answers_agree": False,
                    "first_difference": difference,
                    "problem": error,
                }
                return dataclasses.replace(record, status="failed", error=error, verify=verify)
    return dataclasses.replace(
        record, verify={**record.verify, "answers_agree": f"same as {reference.engine}"}
    )


def _shown(answer: object) -> str:
    text = repr(answer)
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + " …"
