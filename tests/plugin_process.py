"""`bakeoff` in a child process that sees one of the test plugins (tests/plugins/) as an
installed distribution: its folder on PYTHONPATH stands in for installing it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PLUGINS = Path(__file__).resolve().parent / "plugins"


def bakeoff_with(plugin: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    path = [str(PLUGINS / plugin), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "bakeoff", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
