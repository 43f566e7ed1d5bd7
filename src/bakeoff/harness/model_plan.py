"""Which data models a run's engines use, and whether each can run a schema workload:
decided before any engine starts (exit 2 from the CLI), never in the middle of a run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bakeoff.adapters.data_model import DataModel, UnsupportedOperationError
from bakeoff.adapters.model_registry import MODELS, UnknownModelError
from bakeoff.adapters.registry import CapabilityError
from bakeoff.engines.catalog import EngineSpec
from bakeoff.workloads.logical import LogicalMix
from bakeoff.workloads.model import Workload


class ModelPlanError(CapabilityError):
    """A data model cannot run an operation of the workload (or needs a workaround the
    workload does not allow); the message names engine, model and operation."""


def models_of(
    engines: Sequence[EngineSpec], chosen: Mapping[str, Sequence[str]]
) -> dict[str, list[type[DataModel]]]:
    """Per engine, the data models its schema-workload trials run under: the ones chosen
    with `--model ENGINE=NAME` (several make one trial each), else its adapter's default.
    An engine without any model gets an empty list (refused if a schema workload runs)."""
    names = {spec.name for spec in engines}
    strays = sorted(set(chosen) - names)
    if strays:
        raise ModelPlanError(
            f"--model for {', '.join(strays)}, which is not in the run (engines: "
            f"{', '.join(sorted(names))})"
        )
    found: dict[str, list[type[DataModel]]] = {}
    for spec in engines:
        try:
            wanted: list[str | None] = [*chosen.get(spec.name, ())] or [None]
            found[spec.name] = [MODELS.model_class(spec.adapter, n) for n in dict.fromkeys(wanted)]
        except UnknownModelError as exc:
            if chosen.get(spec.name):
                raise ModelPlanError(f"engine {spec.name!r}: {exc}") from None
            found[spec.name] = []
    return found


def check_models(workload: Workload, engine: str, models: Sequence[type[DataModel]]) -> None:
    """Every operation of `workload` under every model of `engine`, as each model plans it."""
    if not models:
        raise ModelPlanError(
            f"workload {workload.name!r} is a schema workload, and engine {engine!r} has no"
            " data model for it (docs/schema-workloads.md lists the models)"
        )
    mix = workload.operations
    assert isinstance(mix, LogicalMix)
    schema = workload.data_schema()
    for model in models:
        for name, operation in mix.items():
            where = f"engine {engine!r} under data model {model.name!r}"
            try:
                plan = model.plan(schema, name, operation)
            except UnsupportedOperationError as exc:
                raise ModelPlanError(
                    f"workload {workload.name!r}: {where} cannot run operation {name!r}: {exc}"
                ) from None
            if plan.workaround and plan.workaround not in operation.allow:
                raise ModelPlanError(
                    f"workload {workload.name!r}: {where} runs operation {name!r} only with"
                    f" a workaround ({plan.note or plan.workaround}); the workload allows it"
                    f" with `allow: [{plan.workaround}]` on that operation"
                )


def describe_model(workload: Workload, model: type[DataModel]) -> dict[str, object]:
    """What the manifest records of a trial's data model: its name, its layout (DDL,
    indexes, keys) and how it runs each operation."""
    mix = workload.operations
    assert isinstance(mix, LogicalMix)
    schema = workload.data_schema()
    plans = {name: model.plan(schema, name, op) for name, op in mix.items()}
    return {
        "name": model.name,
        "description": model.description,
        "layout": model.layout(schema),
        "workarounds": {
            name: {"kind": plan.workaround, "note": plan.note}
            for name, plan in plans.items()
            if plan.workaround
        },
    }
