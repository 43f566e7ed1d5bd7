"""`bakeoff selftest`: the load generator measured against native peers."""

from __future__ import annotations

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
    memory_minutes: Annotated[
        float,
        typer.Option(
            min=0.1,
            help="Length of the long run of the memory comparison (the short one is a tenth).",
        ),
    ] = 10.0,
) -> None:
    """Measure the load generator itself against native peers (redis-benchmark, pgbench).

    Prints the harness overhead per operation, bakeoff against redis-benchmark and
    pgbench on the same servers (1 and 8 connections), client CPU per operation, and the
    memory of a long run against a short one.

    Starts its own Redis and PostgreSQL containers (needs Docker and the engine images,
    see `bakeoff images build`) and runs redis-benchmark and pgbench from this host
    (Debian: redis-tools, postgresql-client). Takes about a minute plus the memory runs.
    """
    from bakeoff import selftest as bench

    install_cleanup()
    say = stderr.print if json_output else stdout.print
    figures = bench.run_selftest(duration_s=duration, memory_long_s=memory_minutes * 60, say=say)
    if json_output:
        print(bench.to_json(figures))
    else:
        stdout.print(bench.format_table(figures), highlight=False)
