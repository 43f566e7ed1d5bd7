"""`bakeoff run`: workloads × engines, a comparison table, a results folder."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from bakeoff.adapters.registry import CapabilityError, UnknownAdapterError
from bakeoff.api import plan_run, run_planned, split_connections
from bakeoff.cli.common import EXIT_FAILED, EXIT_INTERRUPTED, fail, stderr, stdout
from bakeoff.cli.runs import orphaned_runs
from bakeoff.cli.summary import print_summary
from bakeoff.engines.catalog import CATALOG, UnknownEngineError, engine_spec
from bakeoff.engines.provisioning import EngineOptions
from bakeoff.harness.clients import usable_cores
from bakeoff.harness.options import RunOptions
from bakeoff.harness.progress import ProgressSink
from bakeoff.harness.runner import RunInterruptedError
from bakeoff.report import commands as report_commands
from bakeoff.results.writer import RunWriteError, check_output_folder
from bakeoff.workloads.loader import WorkloadError


def _parse_pairs(values: Sequence[str], option: str, engines: Sequence[str]) -> dict[str, str]:
    """ENGINE=VALUE pairs; a bare VALUE applies when exactly one engine was given."""
    pairs: dict[str, str] = {}
    for raw in values:
        engine, sep, value = raw.partition("=")
        if sep and engine in CATALOG:
            pairs[engine] = value
        elif len(engines) == 1:
            pairs[engines[0]] = raw
        else:
            raise fail(f"{option} {raw!r}: expected ENGINE=VALUE when several engines run")
    return pairs


def _parse_models(values: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """ENGINE=MODEL pairs; an engine named twice runs under both models."""
    models: dict[str, tuple[str, ...]] = {}
    for raw in values:
        engine, sep, name = raw.partition("=")
        if not sep or not engine or not name:
            raise fail(f"--model {raw!r}: expected ENGINE=MODEL, e.g. postgres=jsonb")
        models[engine] = (*models.get(engine, ()), name)
    return models


def _parse_knobs(values: Sequence[str], engines: Sequence[str]) -> dict[str, dict[str, str]]:
    knobs: dict[str, dict[str, str]] = {}
    for raw in values:
        target, sep, value = raw.partition("=")
        if not sep:
            raise fail(f"--knob {raw!r}: expected [ENGINE.]NAME=VALUE")
        engine, dot, name = target.rpartition(".")
        if not dot:
            if len(engines) != 1:
                raise fail(f"--knob {raw!r}: say which engine, as ENGINE.NAME=VALUE")
            engine, name = engines[0], target
        if engine not in engines:
            raise fail(f"--knob {raw!r}: engine {engine!r} is not part of this run")
        knobs.setdefault(engine, {})[name] = value
    return knobs


def run(
    workloads: Annotated[
        list[str],
        typer.Argument(help="Workload files or shipped names (see `bakeoff workloads list`)."),
    ],
    engine: Annotated[
        list[str],
        typer.Option("--engine", "-e", help="Engine to benchmark; repeat for a bake-off."),
    ],
    threads: Annotated[
        int | None,
        typer.Option(min=1, max=1024, help="Connections in one worker process (a thread each)."),
    ] = None,
    processes: Annotated[
        int | None,
        typer.Option(min=1, max=256, help="Worker processes (each with --clients connections)."),
    ] = None,
    clients: Annotated[
        int | None, typer.Option(min=1, max=1024, help="Connections per worker process.")
    ] = None,
    split_phase: Annotated[
        bool,
        typer.Option(
            "--split-phase/--thread-per-connection",
            help="Closed loops: one thread per process waits on all its connections, for "
            "adapters that support it (docs/load-generator.md); or one blocking thread per "
            "connection.",
        ),
    ] = True,
    connections: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=4096,
            help="Total connections; bakeoff picks the processes × clients split.",
        ),
    ] = None,
    rate: Annotated[
        float | None,
        typer.Option(
            min=0.001,
            help="Open loop: target ops/s over all connections. Records response time "
            "(from the intended start) beside service time.",
        ),
    ] = None,
    arrival: Annotated[
        str,
        typer.Option(help="Open-loop arrivals: constant or poisson."),
    ] = "constant",
    operations: Annotated[
        int | None,
        typer.Option(min=1, help="Operations to measure (overrides the workload's count)."),
    ] = None,
    duration: Annotated[
        float | None,
        typer.Option(min=0.1, help="Seconds to measure instead of a fixed operation count."),
    ] = None,
    records: Annotated[
        int | None, typer.Option(min=1, help="Records to load (overrides the workload's).")
    ] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Override the workload's seed.")] = None,
    repeat: Annotated[
        int,
        typer.Option(
            min=1, help="Independent trials per engine × workload, interleaved across engines."
        ),
    ] = 1,
    reuse: Annotated[
        bool,
        typer.Option(
            help="With --repeat: keep each engine's container across trials, and the loaded "
            "data of workloads that neither insert nor delete. Default: fresh for every trial."
        ),
    ] = False,
    output: Annotated[
        str, typer.Option(help="Folder that receives the run's results folder.")
    ] = "results",
    interval: Annotated[
        float, typer.Option(min=0.05, help="Width of the result intervals, seconds.")
    ] = 1.0,
    keep: Annotated[
        bool,
        typer.Option(help="Keep embedded database files and the benchmark table afterwards."),
    ] = False,
    url: Annotated[
        list[str] | None,
        typer.Option(
            help="Benchmark an existing server: [ENGINE=]URL (SQLAlchemy URL or redis://). "
            "Credentials in it are never written anywhere."
        ),
    ] = None,
    knob: Annotated[
        list[str] | None,
        typer.Option(help="Engine setting [ENGINE.]NAME=VALUE, e.g. sqlite.synchronous=full."),
    ] = None,
    image: Annotated[
        list[str] | None,
        typer.Option(help="Container image [ENGINE=]IMAGE (else BAKEOFF_IMAGE_<ENGINE>)."),
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option(
            metavar="ENGINE=MODEL",
            help="Data model of a schema workload on ENGINE (e.g. postgres=jsonb); repeat "
            "it for one trial per model (docs/schema-workloads.md). Default: the "
            "engine's own default model.",
        ),
    ] = None,
    report: Annotated[
        bool,
        typer.Option(
            "--report",
            help="Render report.html and report.md into the run folder at the end "
            "(see `bakeoff report`).",
        ),
    ] = False,
    cpus: Annotated[
        float | None, typer.Option(min=0.1, help="CPU limit per engine container.")
    ] = None,
    memory: Annotated[
        str | None, typer.Option(help="Memory limit per engine container, e.g. 2g.")
    ] = None,
) -> None:
    """Run WORKLOADS on every --engine and print a comparison table.

    Each trial provisions a fresh engine, loads the records, runs the optional warm-up
    (not counted), measures, verifies the data and removes the engine. Results go to
    OUTPUT/<run-id>/ (manifest.json + samples.parquet); load them with
    bakeoff.report.load(). Ctrl-C or SIGTERM keeps what was measured (status
    interrupted); `bakeoff runs recover` finishes a run that was killed outright.
    """
    processes, clients = _worker_split(threads, processes, clients, connections)
    engines = list(dict.fromkeys(engine))
    try:
        for name in engines:
            engine_spec(name)
        options = RunOptions(
            records=records,
            operations=operations,
            duration_s=duration,
            seed=seed,
            repeat=repeat,
            reuse=reuse,
            processes=processes,
            clients=clients,
            rate=rate,
            arrival=arrival,
            split_phase=split_phase,
            interval_s=interval,
            engine_options=EngineOptions(
                urls=_parse_pairs(url or [], "--url", engines),
                images=_parse_pairs(image or [], "--image", engines),
                knobs=_parse_knobs(knob or [], engines),
                cpus=cpus,
                memory=memory,
                keep=keep,
            ),
            output=Path(output),
            models=_parse_models(model or []),
        )
        # Validate everything up front, so bad input never starts an engine.
        trials = plan_run(workloads, engines, options)
        check_output_folder(output)
    except (WorkloadError, UnknownEngineError, UnknownAdapterError, CapabilityError) as exc:
        raise fail(str(exc)) from None
    except ValueError as exc:  # an invalid option, or an override that breaks the workload
        raise fail(str(exc).splitlines()[0]) from None
    orphans = orphaned_runs(options.output)
    if orphans:
        stderr.print(
            f"note: unfinished run(s) left by killed processes: "
            f"{', '.join(str(o.path) for o in orphans)}; `bakeoff runs recover {output}` "
            "finishes them",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    try:
        result = run_planned(
            trials, options, progress=_progress(), command=["bakeoff", *sys.argv[1:]]
        )
    except RunInterruptedError as stopped:
        stderr.print(
            f"interrupted by {stopped}: results so far kept in {stopped.path}", highlight=False
        )
        raise typer.Exit(stopped.exit_code) from None
    except KeyboardInterrupt as interrupt:  # before the run folder existed
        stderr.print(f"interrupted by {str(interrupt) or 'SIGINT'}: nothing was measured")
        raise typer.Exit(getattr(interrupt, "exit_code", EXIT_INTERRUPTED)) from None
    except RunWriteError as exc:
        raise fail(str(exc), EXIT_FAILED) from None
    print_summary(result.path)
    stdout.print(f"results: {result.path}")
    if report and any(t.status == "ok" for t in result.trials):
        for written in report_commands.render_reports([result.path]):
            stdout.print(f"report: {written}")
    for record in result.trials:
        if record.status != "ok":
            stderr.print(f"[red]{record.engine} / {record.workload.name}: {record.error}[/red]")
    if not result.ok:
        raise typer.Exit(EXIT_FAILED)


def _worker_split(
    threads: int | None, processes: int | None, clients: int | None, connections: int | None
) -> tuple[int, int]:
    if connections is not None:
        if threads is not None or processes is not None or clients is not None:
            raise fail("--connections picks the split itself: drop --threads/--processes/--clients")
        return split_connections(connections, usable_cores())
    if threads is not None:
        if processes not in (None, 1) or clients is not None:
            raise fail("--threads N is one process with N clients: use --processes and --clients")
        return 1, threads
    return processes or 1, clients or 1


def _progress() -> ProgressSink:
    from bakeoff.cli.progress import PlainProgress, RichProgress

    if stderr.is_terminal:
        return RichProgress(stderr)
    return PlainProgress(sys.stderr)
