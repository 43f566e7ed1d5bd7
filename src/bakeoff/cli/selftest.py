"""`bakeoff selftest`: the load generator measured against native peers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bakeoff.cli.common import install_cleanup, stderr, stdout


def selftest(
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one JSON object with a key per figure.")
    ] = False,
    duration: Annotated[
        float, typer.Option(min=1, help="Seconds per throughput measurement.")
    ] = 10.0,
    rounds: Annotated[
        int,
        typer.Option(
            min=1,
            help="Runs of every comparison, bakeoff and its peers alternated; each "
            "figure is the median over them.",
        ),
    ] = 3,
    memory_minutes: Annotated[
        float,
        typer.Option(
            min=0.1,
            help="Length of the long run of the memory comparison (the short one is a tenth).",
        ),
    ] = 10.0,
    go_ycsb: Annotated[
        Path | None,
        typer.Option(
            "--go-ycsb",
            envvar="BAKEOFF_GO_YCSB",
            help="A go-ycsb binary (v1.0.3): compare with it too, workloads A and C.",
        ),
    ] = None,
) -> None:
    """Measure the load generator itself against native peers (redis-benchmark, pgbench).

    Prints the harness overhead per operation, bakeoff against redis-benchmark and
    pgbench on the same servers (1 and 8 connections), client CPU per operation, and the
    memory of a long run against a short one. With --go-ycsb (or BAKEOFF_GO_YCSB), also
    bakeoff against go-ycsb on YCSB workloads A and C, alternated. Each comparison runs
    --rounds times; the figures are the medians, each ratio's range is printed beside
    it. A probe says when slow-waking idle CPUs make the one-connection figures
    unreliable.

    Starts its own Redis and PostgreSQL containers (needs Docker and the engine images,
    see `bakeoff images build`) and runs redis-benchmark and pgbench from this host
    (Debian: redis-tools, postgresql-client). Takes about two minutes per round (five
    with go-ycsb) plus the memory runs.
    """
    from bakeoff.selftest.goycsb import goycsb_binary
    from bakeoff.selftest.run import run_selftest
    from bakeoff.selftest.table import format_table, to_json

    install_cleanup()
    try:
        binary = goycsb_binary(str(go_ycsb) if go_ycsb is not None else None)
    except RuntimeError as exc:
        raise typer.BadParameter(str(exc), param_hint="--go-ycsb") from None
    say = stderr.print if json_output else stdout.print
    figures = run_selftest(
        duration_s=duration,
        memory_long_s=memory_minutes * 60,
        say=say,
        rounds=rounds,
        go_ycsb=binary,
    )
    if json_output:
        print(to_json(figures))
    else:
        stdout.print(format_table(figures), highlight=False)
