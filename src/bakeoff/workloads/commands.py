"""``bakeoff workloads``: list, show and import workload definitions."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from bakeoff.workloads.loader import (
    WorkloadError,
    list_workloads,
    load_workload,
    resolve_workload,
)
from bakeoff.workloads.model import Workload
from bakeoff.workloads.ycsb_import import import_ycsb_properties, workload_to_yaml

# Exit status for bad input, as for command-line usage errors.
EXIT_INVALID = 2

app = typer.Typer(
    help=(
        "Inspect and import workload definitions. A workload is a YAML file describing the "
        "records, the operation mix and the key distribution (or, for a schema workload, "
        "typed entities and logical operations); bakeoff ships YCSB's core "
        "workloads A to F as ycsb-a ... ycsb-f."
    ),
    no_args_is_help=True,
)

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _reports_workload_errors(command: Callable[_P, _R]) -> Callable[_P, _R]:
    # A bad workload file is the user's input, not a bug: one line per problem, no traceback.
    @wraps(command)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return command(*args, **kwargs)
        except WorkloadError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(EXIT_INVALID) from None

    return wrapper


def _mix(workload: Workload) -> str:
    return ", ".join(
        f"{op} {share * 100:g}%"
        for op, share in workload.operations.proportions().items()
        if share > 0
    )


def _stop(workload: Workload) -> str:
    if workload.operation_count is not None:
        return str(workload.operation_count)
    return f"{workload.duration_s:g}s"


@app.command("list")
@_reports_workload_errors
def list_command() -> None:
    """List the shipped workloads (from $BAKEOFF_WORKLOADS_DIR when it is set)."""
    table = Table(title="Workloads")
    table.add_column("name", no_wrap=True)
    table.add_column("description", overflow="fold")
    table.add_column("records", justify="right", no_wrap=True)
    table.add_column("ops", justify="right", no_wrap=True)
    table.add_column("mix", overflow="fold")
    # Distribution names are single long words that rich would otherwise cut short.
    table.add_column("distribution", no_wrap=True)
    for name, _path, workload in list_workloads():
        table.add_row(
            name,
            workload.description,
            str(workload.rows_to_load),
            _stop(workload),
            _mix(workload),
            workload.request_distribution.type,
        )
    Console().print(table)


@app.command(
    "show",
    help=(
        "Print a workload as validated, with every default filled in, and its spec hash."
        "\n\nThe output is itself a valid workload file; the hash identifies this exact "
        "spec in results."
    ),
)
@_reports_workload_errors
def show_command(
    name: Annotated[
        str,
        typer.Argument(
            help="A shipped workload name such as ycsb-a, or the path of a workload file.",
            show_default=False,
        ),
    ],
) -> None:
    """Print a workload's full validated spec and its spec hash."""
    path = resolve_workload(name)
    workload = load_workload(path)
    header = f"{path}\nspec_hash: {workload.spec_hash()}"
    typer.echo(workload_to_yaml(workload, header=header), nl=False)


@app.command(
    "import-ycsb",
    help=(
        "Convert a YCSB CoreWorkload properties file into a bakeoff workload."
        "\n\nAbsent properties take YCSB's defaults. YCSB's requestdistribution=zipfian is "
        "its scrambled zipfian, so it becomes scrambled_zipfian. Unknown properties are "
        "reported as warnings on stderr (exit status 0, or 2 with --strict); client settings "
        "such as db or threadcount are reported as ignored."
    ),
)
@_reports_workload_errors
def import_ycsb_command(
    properties_file: Annotated[
        Path,
        typer.Argument(help="A YCSB workload properties file, such as YCSB's workloads/workloada."),
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the workload YAML here instead of stdout."),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(help="Workload name; defaults to the properties file's name."),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(help="Exit with status 2, writing nothing, if any property is unknown."),
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", "-f", help="Overwrite the --output file if it exists."),
    ] = False,
) -> None:
    """Convert a YCSB properties file; see the command's help for the mapping rules."""
    result = import_ycsb_properties(properties_file, name=name)
    for entry in result.unknown:
        typer.echo(f"warning: unknown property, not imported: {entry}", err=True)
    for entry in result.ignored:
        typer.echo(f"note: ignored {entry}", err=True)
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
    if strict and result.unknown:
        typer.echo(
            f"error: {len(result.unknown)} unknown propert"
            f"{'y' if len(result.unknown) == 1 else 'ies'} (--strict)",
            err=True,
        )
        raise typer.Exit(EXIT_INVALID)

    text = workload_to_yaml(
        result.workload,
        header=f"Imported from {properties_file} by `bakeoff workloads import-ycsb`.",
    )
    if output is None:
        typer.echo(text, nl=False)
        return
    if output.exists() and not force:
        raise WorkloadError(output, None, "", "already exists; use --force to overwrite it")
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise WorkloadError(output, None, "", f"cannot write: {exc.strerror or exc}") from None
    typer.echo(f"wrote {output}", err=True)
