"""The `bakeoff` command line: one module per command, mounted on one typer app."""

from __future__ import annotations

import importlib
from typing import Annotated, Any

import typer
from typer.core import TyperArgument

from bakeoff import __version__
from bakeoff.cli import runs as runs_commands
from bakeoff.cli.capacity import capacity
from bakeoff.cli.common import EXIT_USAGE, fail, stdout
from bakeoff.cli.doctor import doctor
from bakeoff.cli.engines import engines
from bakeoff.cli.run import run
from bakeoff.cli.selftest import selftest
from bakeoff.cli.sweep import sweep
from bakeoff.core.plugins import PluginError
from bakeoff.gate import commands as gate_commands
from bakeoff.report import commands as report_commands
from bakeoff.workloads import commands as workload_commands

app = typer.Typer(
    help=(
        "bakeoff: run the same declarative workload on several database engines and "
        "compare their throughput and latency honestly."
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
app.add_typer(workload_commands.app, name="workloads")


def _mount_optional(module: str, name: str) -> None:
    """Sub-apps whose modules need optional packages are mounted only when importable."""
    try:
        sub = importlib.import_module(module)
    except ModuleNotFoundError:
        return
    app.add_typer(sub.app, name=name)


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


# In the order of use, so that `--help` lists them so.
app.command()(run)
app.command()(sweep)
app.command()(capacity)
app.command()(selftest)
app.command()(engines)
app.command()(doctor)
app.command("report")(report_commands.report_command)
gate_commands.register(app)
app.add_typer(runs_commands.app, name="runs")
_mount_optional("bakeoff.engines.commands", "images")


def _no_argument_types(command: Any) -> None:
    """Typer prints an argument's Python type beside its name (`RUN... <list[Path]>`);
    the name (or metavar) says what to give already. Options declare their metavars."""
    for param in command.params:
        if isinstance(param, TyperArgument):
            setattr(param, "display_type_rich", lambda ctx: None)  # noqa: B010
    for sub in getattr(command, "commands", {}).values():
        _no_argument_types(sub)


def main() -> None:
    command = typer.main.get_command(app)
    _no_argument_types(command)
    try:
        command()
    except PluginError as exc:
        # A broken or clashing plugin installation: one line, not a traceback.
        fail(str(exc))
        raise SystemExit(EXIT_USAGE) from None
