"""From what the user asked for to a list of trials, checked before anything starts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bakeoff.adapters.data_model import DataModel
from bakeoff.adapters.protocol import Adapter
from bakeoff.adapters.registry import adapter_class, check_capabilities
from bakeoff.engines.catalog import EngineSpec
from bakeoff.harness.model_plan import check_models, models_of
from bakeoff.harness.options import RunOptions
from bakeoff.workloads.model import Workload


@dataclass(frozen=True)
class Trial:
    index: int
    repetition: int
    engine: EngineSpec
    workload: Workload
    workload_file: Path | None
    adapter: type[Adapter]
    model: type[DataModel] | None = None
    """The data model a schema workload runs under (None for a key-value workload)."""
    point: Mapping[str, float] = field(default_factory=dict)
    """The swept parameters of this trial (`bakeoff sweep`, `bakeoff capacity`), e.g.
    {"connections": 8} or {"rate": 2000.0}; empty for an ordinary trial."""
    options: RunOptions | None = None
    """This trial's own run options (its point applied); None: the run's."""

    @property
    def label(self) -> str:
        """The engine as results name it: with its data model for a schema workload
        ("postgres/jsonb"), so two models of one engine stay apart in every report."""
        return f"{self.engine.name}/{self.model.name}" if self.model else self.engine.name

    @property
    def display_name(self) -> str:
        """The engine's display name, with the data model in brackets where there is one."""
        engine = self.engine.display_name
        return f"{engine} ({self.model.name})" if self.model else engine

    @property
    def progress_label(self) -> str:
        """What the progress display calls the trial: workload, engine and point."""
        label = f"{self.workload.name} on {self.display_name}"
        if self.point:
            label += " at " + ", ".join(f"{k} {v:g}" for k, v in self.point.items())
        return label

    @property
    def driver(self) -> type[Adapter] | type[DataModel]:
        """What each connection instantiates: the data model, else the adapter."""
        return self.model or self.adapter


def plan_trials(
    workloads: Sequence[tuple[Workload, Path | None]],
    engines: Sequence[EngineSpec],
    *,
    repeat: int = 1,
    models: Mapping[str, Sequence[str]] | None = None,
) -> list[Trial]:
    """engines × workloads (× data models for schema workloads) × repetitions, interleaved
    so that drift hits every engine alike.

    Raises CapabilityError (naming workload, adapter and engine) or ModelPlanError (naming
    engine, model and operation) before any engine starts.
    """
    models = models or {}
    adapters = {spec.name: adapter_class(spec.adapter) for spec in engines}
    chosen = models_of(engines, models)
    for workload, _ in workloads:
        for spec in engines:
            if workload.is_schema_workload:
                check_models(workload, spec.name, chosen[spec.name])
            else:
                check_capabilities(
                    adapters[spec.name],
                    workload.required_capabilities(),
                    workload=workload.name,
                    engine=spec.name,
                )
    trials: list[Trial] = []
    for repetition in range(repeat):
        for workload, path in workloads:
            for spec in engines:
                for model in chosen[spec.name] if workload.is_schema_workload else [None]:
                    trials.append(
                        Trial(
                            index=len(trials),
                            repetition=repetition,
                            engine=spec,
                            workload=workload,
                            workload_file=path,
                            adapter=adapters[spec.name],
                            model=model,
                        )
                    )
    return trials
