"""`--help` read at 80 columns: nothing cut, real metavars, exit codes and examples."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

# What typer prints for a parameter without a metavar: <list[str]>, <int range>, <Path>...
PYTHON_TYPE = re.compile(r"<(list\[|int|float|str|bool|path|Path|tuple)[^>]*>")


def help_text(*command: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "bakeoff", *command, "--help"],
        env={**os.environ, "COLUMNS": "80", "TERMINAL_WIDTH": "80"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


@pytest.mark.parametrize(
    "command", [("run",), ("report",), ("compare",), ("regress",), ("doctor",)]
)
def test_help_fits_80_columns_with_real_metavars(command: tuple[str, ...]) -> None:
    text = help_text(*command)
    too_long = [line for line in text.splitlines() if len(line) > 80]
    assert not too_long, too_long
    assert not PYTHON_TYPE.search(text), PYTHON_TYPE.findall(text)


@pytest.mark.parametrize("command", ["run", "report", "compare"])
def test_help_has_examples(command: str) -> None:
    assert f"Examples:\n    bakeoff {command} " in help_text(command)


def test_run_help_has_metavars_defaults_and_exit_codes() -> None:
    text = help_text("run")
    for shown in ("--url [ENGINE=]URL", "--threads N", "--duration SECONDS", "-e, --engine ENGINE"):
        assert shown in text
    assert "[default: (1); 1<=x<=1024]" in text  # --threads
    exit_codes = text[text.index("Exit codes:") :]
    for code in ("0 ", "1 ", "2 ", "130 "):
        assert f"\n    {code}" in exit_codes
