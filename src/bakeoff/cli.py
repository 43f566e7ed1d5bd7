"""The `bakeoff` command line."""

from __future__ import annotations

import importlib
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from bakeoff import __version__
from bakeoff.adapters.registry import CapabilityError, UnknownAdapterError
from bakeoff.api import resolve_workloads, run_benchmark, split_connections
from bakeoff.engines.catalog import (
    CATALOG,
    EngineSpec,
    Provision,
    UnknownEngineError,
    engine_spec,
    missing_drivers,
)
from bakeoff.engines.provisioning import EngineOptions
from bakeoff.gate import commands as gate_commands
from bakeoff.harness.clients import usable_cores
from bakeoff.harness.plan import plan_trials
from bakeoff.harness.progress import ProgressSink
from bakeoff.harness.runner import RunInterruptedError
from bakeoff.report import commands as report_commands
from bakeoff.results.store import load, load_manifest
from bakeoff.results.summary import TOTAL, summarize
from bakeoff.workloads import commands as workload_commands
from bakeoff.workloads.loader import WorkloadError

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

app = typer.Typer(
    help=(
        "bakeoff: run the same declarative workload on several database engines and "
        "compare their throughput and latency honestly."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
app.add_typer(workload_commands.app, name="workloads")
# Wide enough for the summary table when output goes to a file or a CI log.
stdout = Console(width=None if sys.stdout.isatty() else 120)
stderr = Console(stderr=True)


def _mount_optional(module: str, name: str) -> None:
    """Sub-apps whose modules need optional packages are mounted only when importable."""
    try:
        sub = importlib.import_module(module)
    except ModuleNotFoundError:
        return
    app.add_typer(sub.app, name=name)


def _fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    stderr.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        stdout.print(f"bakeoff {__version__}")
        raise typer.Exit


@app.callback()
def main_callback(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """bakeoff: one declarative workload, many engines, honest numbers."""


# -- run -----------------------------------------------------------------------------


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
            raise _fail(f"{option} {raw!r}: expected ENGINE=VALUE when several engines run")
    return pairs


def _parse_knobs(values: Sequence[str], engines: Sequence[str]) -> dict[str, dict[str, str]]:
    knobs: dict[str, dict[str, str]] = {}
    for raw in values:
        target, sep, value = raw.partition("=")
        if not sep:
            raise _fail(f"--knob {raw!r}: expected [ENGINE.]NAME=VALUE")
        engine, dot, name = target.rpartition(".")
        if not dot:
            if len(engines) != 1:
                raise _fail(f"--knob {raw!r}: say which engine, as ENGINE.NAME=VALUE")
            engine, name = engines[0], target
        if engine not in engines:
            raise _fail(f"--knob {raw!r}: engine {engine!r} is not part of this run")
        knobs.setdefault(engine, {})[name] = value
    return knobs


@app.command()
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
        typer.Option(min=1, max=1024, help="Client threads in one process, one connection each."),
    ] = None,
    processes: Annotated[
        int | None,
        typer.Option(min=1, max=256, help="Client processes (each runs --clients threads)."),
    ] = None,
    clients: Annotated[
        int | None, typer.Option(min=1, max=1024, help="Clients (connections) per process.")
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
        Path, typer.Option(help="Folder that receives the run's results folder.")
    ] = Path("results"),
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
    bakeoff.report.load().
    """
    if operations is not None and duration is not None:
        raise _fail("give --operations or --duration, not both")
    if arrival not in {"constant", "poisson"}:
        raise _fail(f"--arrival {arrival!r}: expected constant or poisson")
    processes, clients = _worker_split(threads, processes, clients, connections)
    engines = list(dict.fromkeys(engine))
    try:
        for name in engines:
            engine_spec(name)
        options = EngineOptions(
            urls=_parse_pairs(url or [], "--url", engines),
            images=_parse_pairs(image or [], "--image", engines),
            knobs=_parse_knobs(knob or [], engines),
            cpus=cpus,
            memory=memory,
            keep=keep,
        )
        # Validate everything up front, so bad input never starts an engine.
        loaded = resolve_workloads(
            workloads, records=records, operations=operations, duration_s=duration, seed=seed
        )
        plan_trials(loaded, [engine_spec(name) for name in engines])
    except (WorkloadError, UnknownEngineError, UnknownAdapterError, CapabilityError) as exc:
        raise _fail(str(exc)) from None
    except ValueError as exc:  # an override that makes the workload invalid
        raise _fail(str(exc).splitlines()[0]) from None
    try:
        result = run_benchmark(
            [w for w, _ in loaded],
            engines,
            output=output,
            processes=processes,
            clients=clients,
            rate=rate,
            arrival=arrival,
            repeat=repeat,
            reuse=reuse,
            split_phase=split_phase,
            interval_s=interval,
            engine_options=options,
            progress=_progress(),
            command=["bakeoff", *sys.argv[1:]],
        )
    except (RunInterruptedError, KeyboardInterrupt):
        stderr.print(f"interrupted: results so far kept under {output}")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    _print_summary(result.path)
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
            raise _fail(
                "--connections picks the split itself: drop --threads/--processes/--clients"
            )
        return split_connections(connections, usable_cores())
    if threads is not None:
        if processes not in (None, 1) or clients is not None:
            raise _fail("--threads N is one process with N clients: use --processes and --clients")
        return 1, threads
    return processes or 1, clients or 1


def _progress() -> ProgressSink:
    from bakeoff.cli_progress import PlainProgress, RichProgress

    if stderr.is_terminal:
        return RichProgress(stderr)
    return PlainProgress(sys.stderr)


def _fmt(value: Any, digits: int = 0) -> str:
    number = float(value)
    if math.isnan(number):
        return "–"
    return f"{number:,.{digits}f}"


_KIND_TITLES = {
    ("service", False): "Closed loop: latencies are service time, in µs",
    ("service", True): "Open loop, service time (from the actual start), in µs",
    ("response", True): "Open loop, response time (from the intended start), in µs",
}
_METRICS = ("ops_per_s", "p50_us", "p99_us", "p999_us", "max_us", "errors")


def _print_summary(run_dir: Path) -> None:
    frame = load(run_dir)
    measured = frame[frame["phase"] == "measure"]
    if measured.empty:
        stdout.print("no results were measured")
        return
    kinds = [k for k in ("response", "service") if (measured["latency_kind"] == k).any()]
    open_loop = "response" in kinds
    for kind in kinds:
        _print_summary_table(summarize(frame, latency_kind=kind), _KIND_TITLES[kind, open_loop])
    for warning in saturation_warnings(load_manifest(run_dir)):
        stdout.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)


def _print_summary_table(summary: Any, title: str) -> None:
    # Repetitions: the median trial per engine, with the number of trials beside it.
    grouped = (
        summary.groupby(["workload", "operation", "engine"], sort=False)
        .agg(**{m: (m, "median") for m in _METRICS}, trials=("trial", "nunique"))
        .reset_index()
    )
    grouped["_total"] = grouped["operation"] == TOTAL
    # Operations in name order with TOTAL last; engines fastest first within each.
    grouped = grouped.sort_values(
        ["workload", "_total", "operation", "ops_per_s"], ascending=[True, True, True, False]
    )
    repeated = bool((grouped["trials"] > 1).any())
    table = Table(
        title=title + (" (median of the trials)" if repeated else ""), title_justify="left"
    )
    for column in ("workload", "operation", "engine"):
        table.add_column(column)
    columns = ("ops/s", "p50", "p99", "p99.9", "max", "errors")
    for column in (*columns, "trials") if repeated else columns:
        table.add_column(column, justify="right")
    rows = [{str(k): v for k, v in record.items()} for record in grouped.to_dict("records")]
    previous: tuple[str, str] | None = None
    for row in rows:
        group = (str(row["workload"]), str(row["operation"]))
        cells = [
            group[0] if previous is None or group[0] != previous[0] else "",
            group[1] if group != previous else "",
            str(row["engine"]),
            _fmt(row["ops_per_s"]),
            _fmt(row["p50_us"], 1),
            _fmt(row["p99_us"], 1),
            _fmt(row["p999_us"], 1),
            _fmt(row["max_us"], 1),
            _fmt(row["errors"]),
        ]
        if repeated:
            cells.append(str(int(row["trials"])))
        table.add_row(*cells)
        previous = group
    stdout.print(table)


def saturation_warnings(manifest: dict[str, object]) -> list[str]:
    """One line per trial whose load generator, not the engine, may have been the limit."""
    warnings = []
    trials = manifest.get("trials")
    for trial in trials if isinstance(trials, list) else []:
        measure = (trial.get("load_generator") or {}).get("measure") or {}
        if measure.get("client_saturated"):
            busiest = max(measure.get("client_process_utilisation") or [0.0])
            warnings.append(
                f"{trial['engine']} / {trial['workload']}: the client was saturated "
                f"(busiest process at {busiest:.0%} of a core): these numbers may measure "
                "bakeoff, not the engine; add --processes or lower --rate"
            )
        backlog = measure.get("backlog_operations") or 0
        intended = (measure.get("target_ops_per_s") or 0) * (measure.get("wall_s") or 0)
        # A few operations due in the last milliseconds are normal; 1% is a missed target.
        if backlog > 0.01 * intended:
            warnings.append(
                f"{trial['engine']} / {trial['workload']}: the target rate was not met "
                f"({backlog} operations never started); response times include the backlog"
            )
    return warnings


# -- selftest ----------------------------------------------------------------------


@app.command()
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

    _install_cleanup()
    say = stderr.print if json_output else stdout.print
    figures = bench.run_selftest(duration_s=duration, memory_long_s=memory_minutes * 60, say=say)
    if json_output:
        print(bench.to_json(figures))
    else:
        stdout.print(bench.format_table(figures), highlight=False)


def _install_cleanup() -> None:
    from bakeoff.engines.provisioning import install_container_cleanup

    install_container_cleanup()


# -- engines -------------------------------------------------------------------------


def _docker_status() -> str | None:
    """None when a Docker engine answers, else why not (and what to do)."""
    from bakeoff.engines.images import DockerUnavailableError, docker_client

    try:
        docker_client().close()
    except DockerUnavailableError as exc:
        return str(exc)
    return None


def engine_availability(spec: EngineSpec) -> tuple[bool, str]:
    missing = missing_drivers(spec)
    if missing:
        return False, f"missing {', '.join(missing)}: pip install 'bakeoff[{spec.extra}]'"
    if spec.provision is Provision.CONTAINER:
        docker_problem = _docker_status()
        if docker_problem:
            return False, docker_problem
    note = "" if spec.tested_here else "untested by bakeoff's CI"
    return True, note


@app.command()
def engines() -> None:
    """List every engine bakeoff knows and whether it can run on this machine."""
    table = Table()
    for column in ("engine", "family", "provided as", "adapter", "runs here", "notes"):
        table.add_column(column)
    for spec in CATALOG.values():
        ok, why = engine_availability(spec)
        notes = "; ".join(x for x in (why, spec.notes) if x)
        table.add_row(
            spec.name,
            spec.family.value,
            spec.provision.value + (f" ({spec.image})" if spec.image else ""),
            spec.adapter,
            "[green]yes[/green]" if ok else "[red]no[/red]",
            notes,
        )
    stdout.print(table)


# After run, selftest and engines, so that `--help` lists them in the order of use.
app.command("report")(report_commands.report_command)
gate_commands.register(app)
_mount_optional("bakeoff.engines.commands", "images")


def main() -> None:
    app()
