"""What every command of the `bakeoff` command line shares: its consoles, exit codes and
the one way a usage error is reported."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

# Wide enough for the summary table when output goes to a file or a CI log.
stdout = Console(width=None if sys.stdout.isatty() else 120)
stderr = Console(stderr=True)


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    """Print one error line; the caller raises the returned Exit."""
    stderr.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def install_cleanup() -> None:
    """Remove every container this process started on Ctrl-C, SIGTERM and at exit."""
    from bakeoff.engines.provisioning import install_container_cleanup

    install_container_cleanup()
