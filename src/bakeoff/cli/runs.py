"""`bakeoff runs`: the runs in a results folder; `recover` finishes what a killed run left."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Annotated

import typer

from bakeoff.cli.common import stdout
from bakeoff.engines.cleanup import process_alive
from bakeoff.engines.container import remove_orphaned_containers
from bakeoff.engines.embedded import remove_orphaned_databases
from bakeoff.engines.images import DockerUnavailableError
from bakeoff.engines.networks import remove_orphaned_networks
from bakeoff.results.recovery import UnfinishedRun, finish_killed, unfinished_runs

app = typer.Typer(help="The runs in a results folder.", no_args_is_help=True)


@app.command()
def recover(
    output: Annotated[
        Path, typer.Argument(help="The results folder (bakeoff run's --output).")
    ] = Path("results"),
    force: Annotated[
        bool,
        typer.Option(
            help="Also finish unfinished runs that name no writer process (written by an "
            "older bakeoff); only when no bakeoff is writing into OUTPUT."
        ),
    ] = False,
) -> None:
    """Finish the runs of bakeoff processes killed outright, and remove their containers.

    A run killed with SIGKILL (or by a power cut, or the OOM killer) stays a hidden
    `.<run-id>.partial` folder. Each one whose writing process is gone is finished with
    status killed, keeping every trial it had written, so `bakeoff.report.load()` reads
    it, with the phases it had finished of the trial in flight (that trial's status is
    killed). Containers labelled org.bakeoff.run whose bakeoff process is gone are
    removed, then the private networks of their topologies, and so are the temporary
    database folders of its SQLite or DuckDB trials.
    """
    found = unfinished_runs(output) if output.is_dir() else []
    for run in found:
        reason = _still_owned(run, force)
        if reason:
            _say(f"kept {run.path}: {reason}")
        else:
            _say(f"recovered {finish_killed(run)} (status killed)")
    try:
        removed = remove_orphaned_containers()
        networks = remove_orphaned_networks()
    except DockerUnavailableError as exc:
        _say(f"containers not checked: {exc}")
        removed, networks = [], []
    for name in removed:
        _say(f"removed container {name}")
    for name in networks:
        _say(f"removed network {name}")
    databases = remove_orphaned_databases()
    for directory in databases:
        _say(f"removed database folder {directory}")
    if not found and not removed and not networks and not databases:
        _say(f"nothing to recover in {output}")


def _say(text: str) -> None:
    stdout.print(text, highlight=False, soft_wrap=True, markup=False)


def orphaned_runs(output: Path) -> list[UnfinishedRun]:
    """The unfinished runs in `output` whose writer is known to be gone."""
    found = unfinished_runs(output) if output.is_dir() else []
    return [run for run in found if run.writer is not None and not _still_owned(run, False)]


def _still_owned(run: UnfinishedRun, force: bool) -> str | None:
    """Why `run` must not be finished now, or None."""
    writer = run.writer
    if writer is None:
        return None if force else "it names no writer process; --force finishes it anyway"
    pid, host = writer
    if host != socket.gethostname():
        return f"it is written from host {host}; recover it there"
    if process_alive(pid, started_by=run.started_at):
        return f"bakeoff process {pid} is still writing it"
    return None
