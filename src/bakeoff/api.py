"""The programmatic entry point: what `bakeoff run` does, callable from Python (the
pytest plugin, notebooks, other tools)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bakeoff.engines.catalog import engine_spec, spec_for_url
from bakeoff.engines.provisioning import (
    ProvisionerFactory,
    check_engine_options,
    install_container_cleanup,
)
from bakeoff.harness.clients import usable_cores
from bakeoff.harness.fault_trial import refuse_unreachable_faults
from bakeoff.harness.live_view import LiveView
from bakeoff.harness.options import RunOptions
from bakeoff.harness.plan import Trial, plan_trials
from bakeoff.harness.points import Point, expand, options_at
from bakeoff.harness.progress import ProgressSink, SilentProgress
from bakeoff.harness.run import run_trials
from bakeoff.harness.runner import TrialRunner
from bakeoff.harness.trial import TrialRecord
from bakeoff.results.capacity_run import CapacitySearch, Resumed, StepReport
from bakeoff.results.capacity_search import SearchRule
from bakeoff.results.slo import Slo
from bakeoff.results.writer import RunWriter
from bakeoff.workloads.loader import load_workload, resolve_workload
from bakeoff.workloads.model import Workload


@dataclass(frozen=True)
class RunResult:
    path: Path
    """The run folder (manifest.json + samples.parquet); `bakeoff.report.load(path)`."""
    trials: list[TrialRecord]

    @property
    def ok(self) -> bool:
        return all(t.status == "ok" for t in self.trials)


def resolve_workloads(
    workloads: Sequence[str | Path | Workload], options: RunOptions | None = None
) -> list[tuple[Workload, Path | None]]:
    """Names, files or models, validated, with the options' overrides applied
    (WorkloadError, ValueError)."""
    options = options or RunOptions()
    resolved: list[tuple[Workload, Path | None]] = []
    for item in workloads:
        path: Path | None
        if isinstance(item, Workload):
            workload, path = item, None
        else:
            path = resolve_workload(str(item))
            workload = load_workload(path)
        overridden = workload.with_overrides(
            records=options.records,
            operation_count=options.operations,
            duration_s=options.duration_s,
            warmup_s=options.warmup_s,
            seed=options.seed,
        )
        resolved.append((overridden, path))
    return resolved


def plan_run(
    workloads: Sequence[str | Path | Workload], engines: Sequence[str], options: RunOptions
) -> list[Trial]:
    """Every trial of the run, after checking all input: workloads, engine names, the
    capabilities each workload needs of each adapter, and the engines' knobs. Raises
    (WorkloadError, UnknownEngineError, CapabilityError, ValueError) before anything starts.
    """
    urls = options.engine_options.urls
    specs = [spec_for_url(engine_spec(name), urls.get(name)) for name in dict.fromkeys(engines)]
    trials = plan_trials(
        resolve_workloads(workloads, options), specs, repeat=options.repeat, models=options.models
    )
    check_engine_options(specs, options.engine_options)
    refuse_unreachable_faults(trials, options)
    return trials


def run_benchmark(
    workloads: Sequence[str | Path | Workload],
    engines: Sequence[str],
    options: RunOptions | None = None,
    *,
    progress: ProgressSink | None = None,
    command: Sequence[str] = (),
    **changes: Any,
) -> RunResult:
    """Run every workload on every engine, `options.repeat` times, and write one run folder.

    `options` are `bakeoff run`'s (`RunOptions`); keyword `changes` set single fields on
    top, e.g. ``run_benchmark(["ycsb-c"], ["sqlite"], records=200, operations=500)``.
    `processes` × `clients` connections run the load: the connections of a worker process
    are threads in it, processes sidestep the interpreter lock. With `rate` (total ops/s)
    the loop is open: operations start on a schedule and response time is recorded beside
    service time. With `split_phase` (the default), a closed loop runs each process's
    connections in one thread waiting on all of them, where the adapter supports it.

    Bad input (a workload, an engine name, a capability the adapter lacks, an invalid
    option) raises before anything starts. Ctrl-C raises RunInterruptedError after the
    run folder was written.
    """
    options = replace(options or RunOptions(), **changes)
    return run_planned(plan_run(workloads, engines, options), options, progress, command)


def plan_sweep(
    workloads: Sequence[str | Path | Workload],
    engines: Sequence[str],
    options: RunOptions,
    points: Sequence[Point],
    *,
    max_processes: int | None = None,
) -> list[Trial]:
    """`plan_run`'s trials at every point (`bakeoff.harness.points.sweep_points`),
    `options.repeat` times: repetitions outermost, then points, then engines alternated.
    Each trial carries its point and the options it implies; its connections run in one
    worker process per usable core, at most `max_processes`."""
    base = plan_run(workloads, engines, replace(options, repeat=1))
    cores = min(usable_cores(), max_processes or usable_cores())
    return expand(base, points, options, repeat=options.repeat, cores=cores)


@dataclass(frozen=True)
class CapacityRequest:
    """What `bakeoff capacity` searches for (docs/capacity.md)."""

    slo: Slo
    rule: SearchRule
    budget_s: float
    connections: int
    """Connections of every step (an open loop needs enough to carry the rate)."""
    resumed: Resumed | None = None
    max_processes: int | None = None
    """At most this many worker processes carry the connections (default: one per core)."""


def run_capacity(
    workload: str | Path | Workload,
    engines: Sequence[str],
    options: RunOptions,
    request: CapacityRequest,
    *,
    progress: ProgressSink | None = None,
    on_step: StepReport | None = None,
    command: Sequence[str] = (),
) -> tuple[RunResult, Mapping[str, object]]:
    """Search each engine's highest open-loop rate within `request.slo`, one trial per
    step, in one run folder whose manifest holds the `capacity` block (also returned).
    Bad input raises before anything starts, as `plan_run` does."""
    if request.budget_s <= 0:
        raise ValueError(f"the budget must be positive, got {request.budget_s:g} s")
    trials = plan_run([workload], engines, replace(options, repeat=1))
    cores = min(usable_cores(), request.max_processes or usable_cores())
    options_at(options, {"connections": float(request.connections)}, cores)  # checks it
    install_container_cleanup()
    writer = RunWriter(options.output, command=list(command), options=options.manifest())
    search = CapacitySearch(
        trials,
        options,
        writer,
        slo=request.slo,
        rule=request.rule,
        budget_s=request.budget_s,
        connections=request.connections,
        cores=cores,
        resumed=request.resumed,
        on_step=on_step,
    )
    runner = TrialRunner(options, progress)
    records = run_trials(search, ProvisionerFactory(options.engine_options), search, runner)
    return RunResult(path=writer.path_final, trials=records), search.section()


def run_planned(
    trials: Iterable[Trial],
    options: RunOptions,
    progress: ProgressSink | None = None,
    command: Sequence[str] = (),
) -> RunResult:
    """Run trials `plan_run` made (and so checked) with the same `options`."""
    install_container_cleanup()
    # Before the run folder exists: a taken port must leave nothing behind.
    view = LiveView(options.prometheus_port) if options.prometheus_port is not None else None
    try:
        writer = RunWriter(options.output, command=list(command), options=options.manifest())
        provisioner_for = ProvisionerFactory(options.engine_options)
        if view is None:
            runner = TrialRunner(options, progress)
            records_done = run_trials(trials, provisioner_for, writer, runner)
        else:
            runner = TrialRunner(
                options, view.progress(progress or SilentProgress()), [view.telemetry_rows]
            )
            records_done = run_trials(trials, provisioner_for, view.sink(writer), runner)
    finally:
        if view is not None:
            view.close()
    return RunResult(path=writer.path_final, trials=records_done)
