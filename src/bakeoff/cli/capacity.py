"""`bakeoff capacity`: the highest open-loop rate each engine sustains within an SLO,
with its uncertainty and the steps that found it (docs/capacity.md)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bakeoff.adapters.registry import CapabilityError, UnknownAdapterError
from bakeoff.api import CapacityRequest, run_capacity
from bakeoff.cli.common import EXIT_FAILED, fail, one_line_driver_logs, stderr, stdout
from bakeoff.cli.run import progress_display
from bakeoff.cli.run_input import warmup_seconds
from bakeoff.cli.sweep import (
    DURATION,
    ENGINES,
    IMAGE,
    OPEN_LOOP_WARMUP,
    OUTPUT,
    RECORDS,
    URL,
    WORKLOAD,
    engine_options,
)
from bakeoff.core.formats import format_number
from bakeoff.engines.catalog import UnknownEngineError
from bakeoff.harness.options import RunOptions
from bakeoff.harness.runner import RunInterruptedError
from bakeoff.results.capacity_run import ResumeError, resumed_from
from bakeoff.results.capacity_search import SearchRule, Step
from bakeoff.results.reader import NotARunError
from bakeoff.results.slo import SloError, parse_slo
from bakeoff.results.writer import RunWriteError, check_output_folder
from bakeoff.workloads.loader import WorkloadError

_UNITS_S = {"s": 1.0, "m": 60.0, "h": 3600.0}


def budget_seconds(text: str) -> float:
    """`300`, `300s`, `5m`, `1.5h` as seconds; one line and exit 2 on anything else."""
    text = text.strip().lower()
    unit = text[-1] if text and text[-1] in _UNITS_S else "s"
    try:
        seconds = float(text.rstrip("smh")) * _UNITS_S[unit]
    except ValueError:
        raise fail(f"--budget {text!r}: expected a duration, e.g. 300s, 5m or 1h") from None
    if seconds <= 0:
        raise fail(f"--budget {text!r}: must be positive")
    return seconds


def capacity(
    workload: Annotated[str, WORKLOAD],
    engine: Annotated[list[str], ENGINES],
    slo: Annotated[
        list[str],
        typer.Option(
            metavar="BOUND",
            help="Latency bound on response time, e.g. 'p99<=2ms' (p50, p90, p99, "
            "p999); repeat or comma-separate for several.",
            show_default=False,
        ),
    ],
    max_errors: Annotated[
        str | None,
        typer.Option(metavar="SHARE", help="Error rate allowed, e.g. 1% or 0.001."),
    ] = None,
    budget: Annotated[
        str,
        typer.Option(metavar="TIME", help="Time for the whole search, split over engines."),
    ] = "5m",
    connections: Annotated[
        int, typer.Option(min=1, max=4096, metavar="N", help="Connections of every step.")
    ] = 8,
    start_rate: Annotated[
        float, typer.Option(min=0.001, metavar="OPS_PER_S", help="The ramp's first rate.")
    ] = 1000.0,
    precision: Annotated[
        float,
        typer.Option(
            min=0.001, metavar="SHARE", help="Stop when the bracket is this narrow (0.05: 5 %)."
        ),
    ] = 0.05,
    tolerance: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=0.5,
            metavar="SHARE",
            help="A step must achieve (1 - SHARE) of its target rate.",
        ),
    ] = 0.05,
    duration: Annotated[float, DURATION] = 5.0,
    warmup: Annotated[
        str,
        typer.Option(metavar="SECONDS", help="Warm-up before each step, not counted."),
    ] = OPEN_LOOP_WARMUP,
    records: Annotated[int | None, RECORDS] = None,
    processes: Annotated[
        int,
        typer.Option(
            min=1,
            max=256,
            metavar="N",
            help="At most N worker processes carry the connections; each step starts "
            "its own, which costs seconds (docs/capacity.md).",
        ),
    ] = 1,
    resume: Annotated[
        Path | None,
        typer.Option(metavar="RUN", help="Continue the search an earlier run folder left."),
    ] = None,
    output: Annotated[str, OUTPUT] = "results",
    url: Annotated[list[str] | None, URL] = None,
    image: Annotated[list[str] | None, IMAGE] = None,
) -> None:
    """Find the highest open-loop rate each --engine sustains within the --slo.

    Each step is a trial at a target rate: warm-up, then --duration seconds
    measured. A step holds when it achieves the target (within --tolerance),
    meets every bound on RESPONSE time (from the intended start) and the error
    rate. The rate ramps ×2 from --start-rate until a step misses, then
    bisects; the maximum must hold twice. The result is the highest rate that
    held and the lowest that missed above it, per engine. The search stops at
    --budget (converged: no) and --resume continues it in a new run folder.

    \b
    Examples:
      bakeoff capacity ycsb-c -e redis -e postgres --slo 'p99<=2ms' --budget 5m
      bakeoff capacity ycsb-b -e postgres --slo 'p99<=5ms,p999<=20ms'
      bakeoff capacity ycsb-c -e redis --slo 'p99<=1ms' --resume results/RUN
    """
    engines = list(dict.fromkeys(engine))
    try:
        request = CapacityRequest(
            slo=parse_slo(slo, max_errors),
            rule=SearchRule(start_rate=start_rate, precision=precision, tolerance=tolerance),
            budget_s=budget_seconds(budget),
            connections=connections,
            resumed=resumed_from(resume) if resume is not None else None,
            max_processes=processes,
        )
        options = RunOptions(
            records=records,
            duration_s=duration,
            warmup_s=warmup_seconds(warmup),
            reuse=True,
            engine_options=engine_options(engines, url, image),
            output=Path(output),
        )
        check_output_folder(output)
    except (SloError, ResumeError, NotARunError, OSError) as exc:
        raise fail(str(exc)) from None
    except (UnknownEngineError, ValueError) as exc:
        raise fail(str(exc).splitlines()[0]) from None
    try:
        with one_line_driver_logs():
            result, block = run_capacity(
                workload,
                engines,
                options,
                request,
                progress=progress_display(),
                on_step=_print_step,
                command=["bakeoff", *sys.argv[1:]],
            )
    except (WorkloadError, UnknownAdapterError, CapabilityError) as exc:
        raise fail(str(exc)) from None
    except ValueError as exc:
        raise fail(str(exc).splitlines()[0]) from None
    except RunInterruptedError as stopped:
        stderr.print(f"interrupted by {stopped}: the steps so far are kept in {stopped.path}")
        raise typer.Exit(stopped.exit_code) from None
    except RunWriteError as exc:
        raise fail(str(exc), EXIT_FAILED) from None
    print_capacity(block)
    stdout.print(f"results: {result.path}", highlight=False, markup=False)


def _print_step(engine: str, step: Step) -> None:
    verdict = "held" if step.accepted else "missed: " + "; ".join(step.reasons)
    p99 = step.percentiles_us.get("p99")
    stderr.print(
        f"{engine} step {step.step}: {format_number(step.target_rate)} ops/s → achieved "
        f"{format_number(step.achieved_rate)}, p99 "
        f"{format_number(p99) if p99 is not None else '-'} µs, {verdict}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


def print_capacity(block: Mapping[str, object]) -> None:
    """The table: engine · max rate and its uncertainty · connections · steps."""
    slo = block.get("slo")
    text = slo.get("text") if isinstance(slo, Mapping) else ""
    table = Table(title=f"Capacity within {text} (response time), ops/s")
    for column in ("engine", "max rate", "uncertainty", "connections", "steps", "converged"):
        table.add_column(column, justify="left" if column == "engine" else "right")
    engines = block.get("engines")
    for label, entry in engines.items() if isinstance(engines, Mapping) else []:
        if not isinstance(entry, Mapping):
            continue
        best, low, high = (_rate(entry.get(key)) for key in ("max_rate", "low", "high"))
        steps = entry.get("steps")
        table.add_row(
            str(label),
            "none" if best is None else format_number(best),
            # The maximum lies in [low, high): what it held, up to what missed.
            f"-0 / +{format_number(high - low)}" if low is not None and high is not None else "-",
            str(entry.get("connections")),
            str(len(steps) if isinstance(steps, list) else 0),
            "yes" if entry.get("converged") else "no (budget)",
        )
    stdout.print(table)


def _rate(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None
