"""`bakeoff run --topology`: what cannot be started is refused in one line before
anything starts (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bakeoff_process import bakeoff


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("-e", "ferretdb", "--topology", "ferretdb=replica-set"), "no replica sets"),
        (("-e", "postgres", "--topology", "postgres=ring3"), "known: postgres=primary-replica"),
        (("-e", "postgres", "--topology", "redis=sentinel"), "redis is not an --engine"),
        (("-e", "postgres", "--read-from", "replica"), "needs a --topology"),
    ],
)
def test_a_topology_that_cannot_run_is_refused_before_anything_starts(
    args: tuple[str, ...], message: str, tmp_path: Path
) -> None:
    result = bakeoff("run", "ycsb-b", *args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
