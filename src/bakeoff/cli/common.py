"""What every command of the `bakeoff` command line shares: its consoles, exit codes and
the one way a usage error is reported."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator

import typer
from rich.console import Console
from rich.markup import escape

from bakeoff.engines.cleanup import stopping

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

# Wide enough for the summary table when output goes to a file or a CI log.
stdout = Console(width=None if sys.stdout.isatty() else 120)
stderr = Console(stderr=True)


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    """Print one error line; the caller raises the returned Exit."""
    stderr.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def note(message: str, kind: str = "note") -> None:
    """One line to stderr, printed as it is (no markup: it may quote brackets)."""
    stderr.print(f"{kind}: {message}", highlight=False, markup=False, soft_wrap=True)


DRIVER_LOGGERS = (
    "psycopg",
    "redis",
    "pymongo",
    "cassandra",
    "pymemcache",
    "pymysql",
    "sqlalchemy",
    "testcontainers",
    "docker",
    "urllib3",
)
"""Loggers of the drivers and libraries a run uses."""


class _FirstLine(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        lines = record.getMessage().splitlines()
        return f"{record.name}: {lines[0] if lines else ''}"


def _not_while_stopping(record: logging.LogRecord) -> bool:
    return not stopping()


@contextlib.contextmanager
def one_line_driver_logs() -> Iterator[None]:
    """While a run goes, a driver's log record is one line, never a traceback (the run
    reports what failed in its own words); from a termination signal on, none at all.
    Without a handler of their own, drivers' records reach logging's last resort, which
    prints the traceback of every connection that stopping the run breaks."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_FirstLine())
    handler.setLevel(logging.WARNING)
    handler.addFilter(_not_while_stopping)
    loggers = [logging.getLogger(name) for name in DRIVER_LOGGERS]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield
    except KeyboardInterrupt:
        # A termination signal: the run's lines say what was kept, and the process is
        # about to end; connections closing at exit must not print tracebacks.
        for logger in loggers:
            logger.disabled = True
        raise
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def install_cleanup() -> None:
    """Remove every container this process started on Ctrl-C, SIGTERM and at exit."""
    from bakeoff.engines.provisioning import install_container_cleanup

    install_container_cleanup()
