"""`bakeoff sweep`: one workload at many points (connections, rates, CPU limits), each
point a trial tagged with it, in one run folder (docs/capacity.md)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.table import Table

from bakeoff.adapters.registry import CapabilityError, UnknownAdapterError
from bakeoff.api import RunResult, plan_sweep, run_planned
from bakeoff.cli.common import EXIT_FAILED, fail, one_line_driver_logs, stderr, stdout
from bakeoff.cli.run import progress_display
from bakeoff.cli.run_input import parse_pairs, warmup_seconds
from bakeoff.core.formats import format_number
from bakeoff.core.measures import LatencyKind
from bakeoff.engines.catalog import UnknownEngineError, engine_spec
from bakeoff.engines.provisioning import EngineOptions
from bakeoff.harness.options import RunOptions
from bakeoff.harness.points import sweep_points
from bakeoff.harness.runner import RunInterruptedError
from bakeoff.results.capacity_steps import latency_percentiles, measured
from bakeoff.results.writer import RunWriteError, check_output_folder
from bakeoff.workloads.loader import WorkloadError

Number = TypeVar("Number", int, float)

WORKLOAD = typer.Argument(metavar="WORKLOAD", help="A workload file or shipped name.")
ENGINES = typer.Option(
    "--engine", "-e", metavar="ENGINE", help="Engine to measure; repeat for several."
)
OUTPUT = typer.Option(metavar="FOLDER", help="Folder that receives the run's results folder.")
DURATION = typer.Option(min=0.1, metavar="SECONDS", help="Seconds to measure at each point.")
WARMUP = typer.Option(
    metavar="SECONDS|auto",
    help="Warm-up before each step, not counted: seconds, or auto (until throughput "
    "is steady: for closed loops; an open loop's rate is fixed).",
    show_default="auto, 2 s in an open loop",
)
RECORDS = typer.Option(min=1, metavar="N", help="Records to load.", show_default="the workload's")
URL = typer.Option(
    metavar="[ENGINE=]URL", help="Measure an existing server.", show_default="a container"
)
IMAGE = typer.Option(metavar="[ENGINE=]IMAGE", help="Container image.", show_default="pinned")
PROCESSES = typer.Option(
    min=1,
    max=256,
    metavar="N",
    help="At most N worker processes carry the connections.",
    show_default="one per core",
)


OPEN_LOOP_WARMUP = "2"
"""Seconds of warm-up before an open-loop step. The automatic warm-up judges throughput,
which an open loop fixes by its schedule, and it counts progress in blocks of
operations, so at low rates it runs to its 30 s bound: it cannot say when the engine
is warm. Two seconds fill the connection pools and the engine's caches; the data stay
loaded from step to step."""


def number_list(text: str, option: str, kind: Callable[[str], Number]) -> list[Number]:
    """`1,2,4,8` as numbers; one line and exit 2 on anything else."""
    try:
        values = [kind(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise fail(f"{option} {text!r}: expected comma-separated numbers, e.g. 1,2,4") from None
    if not values:
        raise fail(f"{option}: give at least one value")
    return values


def engine_options(
    engines: Sequence[str], urls: list[str] | None, images: list[str] | None
) -> EngineOptions:
    for name in engines:
        engine_spec(name)
    return EngineOptions(
        urls=parse_pairs(urls or [], "--url", engines),
        images=parse_pairs(images or [], "--image", engines),
    )


def sweep(
    workload: Annotated[str, WORKLOAD],
    engine: Annotated[list[str], ENGINES],
    connections: Annotated[
        str | None,
        typer.Option(
            metavar="N,N,...",
            help="Closed loop (without --rate): connection counts, e.g. 1,2,4,8,16.",
            show_default="not swept",
        ),
    ] = None,
    rate: Annotated[
        str | None,
        typer.Option(
            metavar="R,R,...",
            help="Open loop: target ops/s over all connections, e.g. 500,1000,2000.",
            show_default="closed loop",
        ),
    ] = None,
    cpus: Annotated[
        str | None,
        typer.Option(
            metavar="C,C,...",
            help="CPU limits of the engine container, e.g. 1,2.",
            show_default="not swept",
        ),
    ] = None,
    repeat: Annotated[
        int, typer.Option(min=1, metavar="N", help="Trials per engine at each point.")
    ] = 1,
    duration: Annotated[float, DURATION] = 5.0,
    warmup: Annotated[str | None, WARMUP] = None,
    records: Annotated[int | None, RECORDS] = None,
    processes: Annotated[int | None, PROCESSES] = None,
    output: Annotated[str, OUTPUT] = "results",
    url: Annotated[list[str] | None, URL] = None,
    image: Annotated[list[str] | None, IMAGE] = None,
) -> None:
    """Run WORKLOAD on every --engine at every point of the sweep.

    A point is one combination of --connections, --rate and --cpus; each is a
    trial in the ordinary result schema, tagged with its point in the manifest.
    Points go in order, engines alternate at each point, and --repeat runs the
    whole sweep again. Each engine's container and loaded data are kept across
    its trials where the workload neither inserts nor deletes.

    \b
    Examples:
      bakeoff sweep ycsb-c -e redis -e postgres --connections 1,2,4,8,16
      bakeoff sweep ycsb-c -e redis --connections 8 --rate 5000,10000,20000
      bakeoff sweep ycsb-c -e postgres --connections 8 --cpus 1,2 --repeat 3
    """
    engines = list(dict.fromkeys(engine))
    try:
        points = sweep_points(
            connections=number_list(connections, "--connections", int) if connections else (),
            rates=number_list(rate, "--rate", float) if rate else (),
            cpus=number_list(cpus, "--cpus", float) if cpus else (),
        )
        options = RunOptions(
            records=records,
            duration_s=duration,
            warmup_s=warmup_seconds(warmup or (OPEN_LOOP_WARMUP if rate else "auto")),
            repeat=repeat,
            reuse=True,
            engine_options=engine_options(engines, url, image),
            output=Path(output),
        )
        trials = plan_sweep([workload], engines, options, points, max_processes=processes)
        check_output_folder(output)
    except (WorkloadError, UnknownEngineError, UnknownAdapterError, CapabilityError) as exc:
        raise fail(str(exc)) from None
    except ValueError as exc:
        raise fail(str(exc).splitlines()[0]) from None
    stderr.print(f"{len(points)} points × {len(engines)} engines × {repeat}: {len(trials)} trials")
    try:
        with one_line_driver_logs():
            result = run_planned(
                trials, options, progress_display(), command=["bakeoff", *sys.argv[1:]]
            )
    except RunInterruptedError as stopped:
        stderr.print(f"interrupted by {stopped}: results so far kept in {stopped.path}")
        raise typer.Exit(stopped.exit_code) from None
    except RunWriteError as exc:
        raise fail(str(exc), EXIT_FAILED) from None
    print_points(result)
    stdout.print(f"results: {result.path}", highlight=False, markup=False)
    if not result.ok:
        raise typer.Exit(EXIT_FAILED)


def print_points(result: RunResult) -> None:
    """One row per trial: its point, throughput and latency."""
    table = Table(title="Sweep (µs: response time in an open loop, else service time)")
    for column in ("engine", "point", "rep", "ops/s", "p50", "p99", "status"):
        table.add_column(column, justify="left" if column in ("engine", "point") else "right")
    for record in result.trials:
        rate = record.point.get("rate")
        kind = LatencyKind.SERVICE if rate is None else LatencyKind.RESPONSE
        latencies = latency_percentiles(record, kind)
        table.add_row(
            record.engine,
            ", ".join(f"{k}={v:g}" for k, v in record.point.items()),
            str(record.repetition + 1),
            format_number(measured(record, rate or 1.0).achieved_rate),
            format_number(latencies["p50"]),
            format_number(latencies["p99"]),
            record.status,
        )
    stdout.print(table)
