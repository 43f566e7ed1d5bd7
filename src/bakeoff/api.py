"""The programmatic entry point: what `bakeoff run` does, callable from Python (the
pytest plugin, notebooks, other tools)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bakeoff.engines.catalog import engine_spec, spec_for_url
from bakeoff.engines.provisioning import (
    EngineOptions,
    ProvisionerFactory,
    install_container_cleanup,
)
from bakeoff.harness.plan import plan_trials
from bakeoff.harness.progress import ProgressSink
from bakeoff.harness.runner import RunOptions, TrialRunner, run_trials
from bakeoff.harness.trial import TrialRecord
from bakeoff.results.store import RunWriter
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
    workloads: Sequence[str | Path | Workload],
    *,
    records: int | None = None,
    operations: int | None = None,
    duration_s: float | None = None,
    seed: int | None = None,
) -> list[tuple[Workload, Path | None]]:
    """Names, files or models, validated, with overrides applied (WorkloadError, ValueError)."""
    resolved: list[tuple[Workload, Path | None]] = []
    for item in workloads:
        path: Path | None
        if isinstance(item, Workload):
            workload, path = item, None
        else:
            path = resolve_workload(str(item))
            workload = load_workload(path)
        resolved.append(
            (
                workload.with_overrides(
                    records=records,
                    operation_count=operations,
                    duration_s=duration_s,
                    seed=seed,
                ),
                path,
            )
        )
    return resolved


def split_connections(connections: int, cores: int) -> tuple[int, int]:
    """A processes × clients split for `connections` workers.

    One process per usable core, the remaining connections as threads in them; the split
    multiplies out to exactly `connections`. One process drives at most one core of client
    work (the interpreter lock), and the drivers release it while they wait for the
    server, so more processes than cores only add switching: measured on 2 cores at 8
    connections (docs/load-generator.md), 2 × 4 beat 4 × 2 and 8 × 1 for both psycopg
    (libpq) and redis-py.
    """
    most = max(1, min(connections, cores))
    processes = max(p for p in range(1, most + 1) if connections % p == 0)
    return processes, connections // processes


def run_benchmark(
    workloads: Sequence[str | Path | Workload],
    engines: Sequence[str],
    *,
    output: Path = Path("results"),
    processes: int = 1,
    clients: int = 1,
    rate: float | None = None,
    arrival: str = "constant",
    repeat: int = 1,
    reuse: bool = False,
    split_phase: bool = True,
    interval_s: float = 1.0,
    records: int | None = None,
    operations: int | None = None,
    duration_s: float | None = None,
    seed: int | None = None,
    engine_options: EngineOptions | None = None,
    progress: ProgressSink | None = None,
    command: Sequence[str] = (),
) -> RunResult:
    """Run every workload on every engine, `repeat` times, and write one run folder.

    `processes` × `clients` workers run the load, each with its own connection: clients
    are threads inside a process, processes sidestep the interpreter lock. With `rate`
    (total ops/s) the loop is open: operations start on a schedule and response time is
    recorded beside service time. With `split_phase` (the default), a closed loop runs each
    process's clients in one thread waiting on all their connections, where the adapter
    supports it.

    Bad input (a workload, an engine name, a capability the adapter lacks) raises before
    anything starts. Ctrl-C raises RunInterruptedError after the run folder was written.
    """
    options = engine_options or EngineOptions()
    specs = [
        spec_for_url(engine_spec(name), options.urls.get(name)) for name in dict.fromkeys(engines)
    ]
    loaded = resolve_workloads(
        workloads, records=records, operations=operations, duration_s=duration_s, seed=seed
    )
    trials = plan_trials(loaded, specs, repeat=repeat)
    install_container_cleanup()
    writer = RunWriter(
        output,
        command=list(command),
        options={
            "processes": processes,
            "clients_per_process": clients,
            "rate": rate,
            "arrival": arrival,
            "repeat": repeat,
            "reuse": reuse,
            "split_phase": split_phase,
            "interval_s": interval_s,
            "keep": options.keep,
            "cpus": options.cpus,
            "memory": options.memory,
        },
    )
    runner = TrialRunner(
        RunOptions(
            processes=processes,
            clients=clients,
            rate=rate,
            arrival=arrival,
            interval_s=interval_s,
            keep_table=options.keep,
            reuse=reuse,
            split_phase=split_phase,
        ),
        progress,
    )
    records_done = run_trials(trials, ProvisionerFactory(options), writer, runner)
    return RunResult(path=writer.path_final, trials=records_done)
