"""A run that mixes SQLite and Redis prints "read this first" lines above its summary."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_sqlite_next_to_redis_prints_caveats_first(
    tmp_path: Path, engine_image: Callable[[str], str]
) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bakeoff",
            "run",
            "ycsb-c",
            "-e",
            "sqlite",
            "-e",
            "redis",
            "--records",
            "200",
            "--operations",
            "500",
            "--image",
            f"redis={engine_image('redis')}",
            "--output",
            str(tmp_path / "results"),
        ],
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.count("Read this first") == 1  # once, from the summary
    assert out.index("Read this first") < out.index("ycsb-c")  # above the table
    assert "durability differs: sqlite does not sync each commit" in out
    assert "redis keeps nothing on disk" in out
    assert "placement differs: sqlite in the client's process; redis in a container" in out
