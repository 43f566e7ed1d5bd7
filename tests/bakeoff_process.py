"""`bakeoff` in a child process, as a user runs it; optionally seeing one of the test
plugins (tests/plugins/) as an installed distribution: its folder on PYTHONPATH stands in
for installing it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PLUGINS = Path(__file__).resolve().parent / "plugins"


def bakeoff(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """`python -m bakeoff ARGS` run to its end, with `env` over this process's."""
    return subprocess.run(
        [sys.executable, "-m", "bakeoff", *args],
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def bakeoff_with(plugin: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    path = [str(PLUGINS / plugin), *filter(None, [os.environ.get("PYTHONPATH")])]
    return bakeoff(*args, cwd=cwd, env={"PYTHONPATH": os.pathsep.join(path)})
