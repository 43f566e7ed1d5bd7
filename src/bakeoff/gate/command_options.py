"""What the regression gate's commands share: the consoles, the one way a usage error is
reported (one line on stderr, exit 2), and readers of option values."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from bakeoff.gate.metrics import METRICS

EXIT_REGRESSION = 1
EXIT_USAGE = 2
FORMATS = ("table", "markdown", "json")

stdout = Console(width=None if sys.stdout.isatty() else 140)
stderr = Console(stderr=True)


def fail(message: str) -> typer.Exit:
    stderr.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(EXIT_USAGE)


_FRACTION = re.compile(r"^\s*(?P<number>[0-9]*\.?[0-9]+)\s*(?P<percent>%?)\s*$")


def parse_fraction(text: str, option: str) -> float:
    """'5%' → 0.05; '0.05' → 0.05; a bare number of 1 or more is read as percent."""
    match = _FRACTION.match(text)
    if not match:
        raise fail(
            f"{option} {text!r}: expected a percentage such as 5% or a fraction such as 0.05"
        )
    number = float(match.group("number"))
    if match.group("percent") or number >= 1.0:
        number /= 100.0
    return number


def output_file(param: typer.CallbackParam, value: Path | None) -> Path | None:
    """Refuse an output file named like an option (`--markdown --json` is a forgotten
    value, and would write a file named --json); ./--name still works."""
    if value is not None and str(value).startswith("-"):
        name = param.opts[0] if param.opts else param.name
        raise fail(
            f"{name} needs a file name, got the option {str(value)!r} "
            f"(for a file of that name, write ./{value})"
        )
    return value


FORMAT_METAVAR = "table|markdown|json"


def check_format(value: str) -> str:
    if value not in FORMATS:
        raise fail(f"--format {value!r}: choose one of {', '.join(FORMATS)}")
    return value


def parse_metrics(values: list[str] | None, default: tuple[str, ...]) -> tuple[str, ...]:
    if not values:
        return default
    names = tuple(dict.fromkeys(v.strip() for item in values for v in item.split(",") if v))
    unknown = [n for n in names if n not in METRICS]
    if unknown:
        raise fail(f"--metric {', '.join(unknown)}: choose from {', '.join(METRICS)}")
    return names


def write_file(path: Path | None, text: str) -> None:
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise fail(f"{path}: cannot write ({exc.strerror or exc})") from None
