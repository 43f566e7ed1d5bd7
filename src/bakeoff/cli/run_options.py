"""Options of `bakeoff run` beyond the core ones, as annotated types (run.py stays a
readable list of parameters)."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

TelemetryOption = Annotated[
    str,
    typer.Option(
        metavar="on|off",
        help="Sample the engine's CPU, memory, I/O and statistics per interval "
        "(docs/telemetry.md).",
    ),
]

SettleOption = Annotated[
    bool,
    typer.Option(
        help="After the load, run the engine's own upkeep of the table (VACUUM, "
        "ANALYZE, CHECKPOINT) where its adapter can, as pgbench -i does; --no-settle "
        "measures the table as loaded, as YCSB does (docs/load-generator.md).",
    ),
]

SpinWaitOption = Annotated[
    float | None,
    typer.Option(
        "--spin-wait-us",
        min=0,
        metavar="MICROSECONDS",
        help="Split phase: poll for a reply this long before sleeping, so that an idle "
        "CPU is not halted when it comes (docs/load-generator.md); 0: never. Default, "
        "where a core is left free: 200 for one connection per process, 20 for several; "
        "else 0.",
        show_default=False,
    ),
]

TelemetryIntervalOption = Annotated[
    float,
    typer.Option(
        min=0.05,
        metavar="SECONDS",
        help="Seconds between telemetry readings (whole --interval steps).",
    ),
]

PrometheusOption = Annotated[
    int | None,
    typer.Option(
        min=0,
        max=65535,
        metavar="PORT",
        help="Serve live metrics for Prometheus on 127.0.0.1:PORT during the run.",
        show_default="none",
    ),
]

FaultOption = Annotated[
    list[str] | None,
    typer.Option(
        metavar="SPEC",
        help="A fault in the measure phase, e.g. 'at=20s,for=5s,pause,node=primary' "
        "(docs/faults.md); repeat for a schedule.",
        show_default="the workload's",
    ),
]

TopologyOption = Annotated[
    list[str] | None,
    typer.Option(
        metavar="ENGINE=NAME",
        help="Start ENGINE as a replicated topology: postgres=primary-replica, "
        "mariadb=primary-replica, redis=sentinel, cassandra=ring3 "
        "(docs/topologies.md).",
        show_default="one node",
    ),
]

ReadFromOption = Annotated[
    Literal["primary", "replica"],
    typer.Option(
        "--read-from",
        help="Where a topology's reads go: a replica connection (PostgreSQL, "
        "MariaDB, Redis) or consistency ONE (Cassandra).",
    ),
]

ClusterOption = Annotated[
    str | None,
    typer.Option(
        metavar="ray://HOST:PORT|auto",
        help="Run the worker processes as actors of this Ray cluster, one per core "
        "of its nodes unless --processes or --connections says (docs/distributed.md).",
        show_default="this machine",
    ),
]

CpusOption = Annotated[
    float | None,
    typer.Option(
        min=0.1, metavar="CPUS", help="CPU limit per engine container.", show_default="none"
    ),
]

MemoryOption = Annotated[
    str | None,
    typer.Option(
        metavar="SIZE",
        help="Memory limit per engine container, e.g. 2g.",
        show_default="none",
    ),
]
