"""`bakeoff run`: workloads × engines, a comparison table, a results folder."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from bakeoff.adapters.registry import CapabilityError, UnknownAdapterError
from bakeoff.api import plan_run, run_planned
from bakeoff.cli.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    fail,
    one_line_driver_logs,
    stderr,
    stdout,
)
from bakeoff.cli.run_input import (
    on_or_off,
    parse_knobs,
    parse_models,
    parse_pairs,
    refuse_unreachable_engines,
    warmup_seconds,
    warn_before_start,
    worker_split,
)
from bakeoff.cli.run_options import (
    ClusterOption,
    CpusOption,
    FaultOption,
    MemoryOption,
    PrometheusOption,
    ReadFromOption,
    SettleOption,
    SpinWaitOption,
    TelemetryIntervalOption,
    TelemetryOption,
    TopologyOption,
)
from bakeoff.cli.summary import print_summary
from bakeoff.core.faults import FAULT_INTERVAL_S
from bakeoff.engines.catalog import UnknownEngineError, engine_spec
from bakeoff.engines.provisioning import EngineOptions
from bakeoff.engines.topologies import check_topology_options, parse_topologies
from bakeoff.harness.live_view import LiveViewError
from bakeoff.harness.options import RunOptions
from bakeoff.harness.progress import ProgressSink
from bakeoff.harness.runner import RunInterruptedError
from bakeoff.report import commands as report_commands
from bakeoff.results.reader import DamagedRunError, NotARunError, read_run
from bakeoff.results.writer import RunWriteError, check_output_folder
from bakeoff.workloads.loader import WorkloadError


def run(
    workloads: Annotated[
        list[str],
        typer.Argument(
            metavar="WORKLOAD",
            help="Workload files or shipped names (`bakeoff workloads list`).",
            show_default=False,
        ),
    ],
    engine: Annotated[
        list[str],
        typer.Option(
            "--engine",
            "-e",
            metavar="ENGINE",
            help="Engine to benchmark (`bakeoff engines`); repeat for a bake-off.",
            show_default=False,
        ),
    ],
    threads: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=1024,
            metavar="N",
            help="Connections in one worker process, a thread each.",
            show_default="1",
        ),
    ] = None,
    processes: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=256,
            metavar="N",
            help="Worker processes, each with --clients connections.",
            show_default="1",
        ),
    ] = None,
    clients: Annotated[
        int | None,
        typer.Option(
            min=1, max=1024, metavar="N", help="Connections per worker process.", show_default="1"
        ),
    ] = None,
    split_phase: Annotated[
        bool,
        typer.Option(
            "--split-phase/--thread-per-connection",
            help="Closed loops: one thread per process waits on all its connections (where "
            "the adapter can), or one blocking thread per connection "
            "(docs/load-generator.md).",
        ),
    ] = True,
    spin_wait: SpinWaitOption = None,
    connections: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=4096,
            metavar="N",
            help="Total connections; bakeoff picks the processes × clients split "
            "for the usable cores (with --cluster: its nodes' cores), leaving a core "
            "to an engine server on this machine where one thread waits on all of a "
            "process's connections (docs/load-generator.md).",
            show_default="processes × clients",
        ),
    ] = None,
    rate: Annotated[
        float | None,
        typer.Option(
            min=0.001,
            metavar="OPS_PER_S",
            help="Open loop: target ops/s over all connections; records response time "
            "(from the intended start) beside service time.",
            show_default="closed loop",
        ),
    ] = None,
    arrival: Annotated[
        str,
        typer.Option(metavar="constant|poisson", help="Open-loop arrivals."),
    ] = "constant",
    operations: Annotated[
        int | None,
        typer.Option(
            min=1,
            metavar="N",
            help="Operations to measure.",
            show_default="the workload's",
        ),
    ] = None,
    duration: Annotated[
        float | None,
        typer.Option(
            min=0.1,
            metavar="SECONDS",
            help="Seconds to measure instead of an operation count.",
            show_default="the workload's",
        ),
    ] = None,
    warmup: Annotated[
        str | None,
        typer.Option(
            metavar="SECONDS|auto",
            help="Warm-up before measuring, not counted: seconds, or auto to end it when "
            "throughput is steady (docs/load-generator.md).",
            show_default="the workload's",
        ),
    ] = None,
    records: Annotated[
        int | None,
        typer.Option(min=1, metavar="N", help="Records to load.", show_default="the workload's"),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(min=0, metavar="N", help="Random seed.", show_default="the workload's"),
    ] = None,
    repeat: Annotated[
        int,
        typer.Option(
            min=1,
            metavar="N",
            help="Independent trials per engine × workload, interleaved across engines.",
        ),
    ] = 1,
    reuse: Annotated[
        bool,
        typer.Option(
            help="With --repeat: keep each engine's container across trials, and the loaded "
            "data of workloads that neither insert nor delete.",
        ),
    ] = False,
    settle: SettleOption = True,
    output: Annotated[
        str,
        typer.Option(metavar="FOLDER", help="Folder that receives the run's results folder."),
    ] = "results",
    interval: Annotated[
        float | None,
        typer.Option(
            min=0.05,
            metavar="SECONDS",
            help="Width of the result intervals.",
            show_default="1, or 0.25 with faults",
        ),
    ] = None,
    telemetry: TelemetryOption = "on",
    telemetry_interval: TelemetryIntervalOption = 1.0,
    prometheus: PrometheusOption = None,
    fault: FaultOption = None,
    keep: Annotated[
        bool,
        typer.Option(help="Keep embedded database files and the benchmark table afterwards."),
    ] = False,
    url: Annotated[
        list[str] | None,
        typer.Option(
            metavar="[ENGINE=]URL",
            help="Benchmark an existing server (SQLAlchemy URL or redis://); credentials "
            "in it are never written anywhere.",
            show_default="start a container",
        ),
    ] = None,
    knob: Annotated[
        list[str] | None,
        typer.Option(
            metavar="[ENGINE.]NAME=VALUE",
            help="Engine setting, e.g. sqlite.synchronous=full; names the engine does not "
            "know are refused.",
            show_default="the catalog's",
        ),
    ] = None,
    image: Annotated[
        list[str] | None,
        typer.Option(
            metavar="[ENGINE=]IMAGE",
            help="Container image.",
            show_default="$BAKEOFF_IMAGE_<ENGINE>, else the pinned official one",
        ),
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option(
            metavar="ENGINE=MODEL",
            help="Data model of a schema workload on ENGINE (e.g. postgres=jsonb); repeat "
            "it for one trial per model (docs/schema-workloads.md).",
            show_default="each engine's default model",
        ),
    ] = None,
    topology: TopologyOption = None,
    read_from: ReadFromOption = "primary",
    report: Annotated[
        bool,
        typer.Option(
            "--report",
            help="Also render report.html and report.md into the run folder.",
        ),
    ] = False,
    cluster: ClusterOption = None,
    cpus: CpusOption = None,
    memory: MemoryOption = None,
) -> None:
    """Run WORKLOADs on every --engine and print a comparison table.

    Each trial provisions a fresh engine, loads the records, settles them (the engine's
    own upkeep, where it has one), runs the optional warm-up (not counted), measures,
    verifies the data and removes the engine. Results go to
    FOLDER/<run-id>/ (manifest.json + samples.parquet; bakeoff.report.load() reads
    them). Ctrl-C or SIGTERM keeps what was measured; `bakeoff runs recover` finishes a
    run that was killed outright. Mistakes (an unknown engine or knob, a missing driver)
    are refused before anything starts.

    \b
    Examples:
      bakeoff run ycsb-a -e sqlite -e duckdb
      bakeoff run ycsb-b ycsb-c -e postgres -e redis --repeat 3 --report
      bakeoff run mine.yaml -e postgres --knob postgres.fsync=off --connections 8
      bakeoff run ycsb-c -e redis --url redis://db.internal:6379/0 --duration 30

    \b
    Exit codes:
      0    every trial finished
      1    a trial failed, or the results could not be written
      2    bad input, refused before anything started
      130  interrupted by Ctrl-C (143: SIGTERM, 129: SIGHUP); results kept
    """
    if output.startswith("-"):  # `--output --report`: a forgotten value, not a folder
        raise fail(f"--output needs a folder, got the option {output!r} (or write ./{output})")
    processes, clients = worker_split(threads, processes, clients, connections, cluster)
    engines = list(dict.fromkeys(engine))
    try:
        for name in engines:
            engine_spec(name)
        topologies = parse_topologies(topology or [])
        check_topology_options(topologies, engines, read_from)
        options = RunOptions(
            records=records,
            operations=operations,
            duration_s=duration,
            warmup_s=warmup_seconds(warmup),
            seed=seed,
            repeat=repeat,
            reuse=reuse,
            settle=settle,
            processes=processes,
            clients=clients,
            auto_split=connections is not None,
            rate=rate,
            arrival=arrival,
            split_phase=split_phase,
            spin_wait_us=spin_wait,
            interval_s=interval or (FAULT_INTERVAL_S if fault else 1.0),
            faults=tuple(fault or ()),
            telemetry=on_or_off("--telemetry", telemetry),
            telemetry_interval_s=telemetry_interval,
            prometheus_port=prometheus,
            cluster=cluster,
            engine_options=EngineOptions(
                urls=parse_pairs(url or [], "--url", engines),
                images=parse_pairs(image or [], "--image", engines),
                knobs=parse_knobs(knob or [], engines),
                cpus=cpus,
                memory=memory,
                keep=keep,
                topologies=topologies,
                read_from=read_from,
            ),
            output=Path(output),
            models=parse_models(model or []),
        )
        # Validate everything up front, so bad input never starts an engine.
        trials = plan_run(workloads, engines, options)
        refuse_unreachable_engines(options, trials)
        check_output_folder(output)
    except (WorkloadError, UnknownEngineError, UnknownAdapterError, CapabilityError) as exc:
        raise fail(str(exc)) from None
    except ValueError as exc:  # an invalid option, or an override that breaks the workload
        raise fail(str(exc).splitlines()[0]) from None
    warn_before_start(options, trials)
    try:
        with one_line_driver_logs():
            result = run_planned(
                trials, options, progress=progress_display(), command=["bakeoff", *sys.argv[1:]]
            )
    except RunInterruptedError as stopped:
        stderr.print(
            f"interrupted by {stopped}: results so far kept in {stopped.path}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        _print_kept_trials(stopped.path)
        raise typer.Exit(stopped.exit_code) from None
    except KeyboardInterrupt as interrupt:  # before the run folder existed
        stderr.print(f"interrupted by {str(interrupt) or 'SIGINT'}: nothing was measured")
        raise typer.Exit(getattr(interrupt, "exit_code", EXIT_INTERRUPTED)) from None
    except (RunWriteError, LiveViewError) as exc:  # a taken --prometheus port is bad input
        raise fail(str(exc), EXIT_FAILED if isinstance(exc, RunWriteError) else 2) from None
    print_summary(result.path)
    stdout.print(f"results: {result.path}", highlight=False, markup=False)
    if report and any(t.status == "ok" for t in result.trials):
        for written in report_commands.render_reports([result.path]):
            stdout.print(f"report: {written}", highlight=False, markup=False)
    for record in result.trials:
        if record.status != "ok":
            stderr.print(
                f"[red]{escape(f'{record.engine} / {record.workload.name}: {record.error}')}[/red]"
            )
    if not result.ok:
        raise typer.Exit(EXIT_FAILED)


def _print_kept_trials(run_dir: object) -> None:
    """One line per trial the interrupted run kept, as its manifest lists them."""
    if not isinstance(run_dir, Path):
        return
    try:
        trials = read_run(run_dir).trials
    except (NotARunError, DamagedRunError, OSError):
        return
    for trial in trials:
        stderr.print(
            # Repetitions count from 0 in the manifest, from 1 for people.
            f"kept: {trial.get('engine')} / {trial.get('workload')}, repetition "
            f"{int(trial.get('repetition', 0)) + 1}: {trial.get('status')}",
            highlight=False,
            markup=False,
        )


def progress_display() -> ProgressSink:
    from bakeoff.cli.progress import PlainProgress, RichProgress

    if stderr.is_terminal:
        return RichProgress(stderr)
    return PlainProgress(sys.stderr)
