"""From what the user asked for to a list of trials, checked before anything starts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bakeoff.adapters.protocol import Adapter
from bakeoff.adapters.registry import adapter_class, check_capabilities
from bakeoff.engines.catalog import EngineSpec
from bakeoff.workloads.model import Workload


@dataclass(frozen=True)
class Trial:
    index: int
    repetition: int
    engine: EngineSpec
    workload: Workload
    workload_file: Path | None
    adapter: type[Adapter]


def plan_trials(
    workloads: Sequence[tuple[Workload, Path | None]],
    engines: Sequence[EngineSpec],
    *,
    repeat: int = 1,
) -> list[Trial]:
    """engines × workloads × repetitions, interleaved so that drift hits every engine alike.

    Raises CapabilityError (naming workload, adapter and engine) before any engine starts.
    """
    adapters = {spec.name: adapter_class(spec.adapter) for spec in engines}
    for workload, _ in workloads:
        for spec in engines:
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
                trials.append(
                    Trial(
                        index=len(trials),
                        repetition=repetition,
                        engine=spec,
                        workload=workload,
                        workload_file=path,
                        adapter=adapters[spec.name],
                    )
                )
    return trials
