"""The Python API: input refused before anything starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bakeoff.api import plan_run, run_benchmark
from bakeoff.engines.provisioning import EngineOptions
from bakeoff.harness.options import RunOptions


@pytest.mark.parametrize(
    ("engine", "knobs", "message"),
    [
        ("cassandra", {"heap": "1 g"}, "values cannot contain spaces"),
        ("postgres", {"bad name": "1"}, "invalid knob name 'bad name'"),
    ],
)
def test_a_bad_knob_is_refused_before_anything_starts(
    engine: str, knobs: dict[str, str], message: str, tmp_path: Path
) -> None:
    options = RunOptions(output=tmp_path, engine_options=EngineOptions(knobs={engine: knobs}))

    with pytest.raises(ValueError, match=message):
        plan_run(["ycsb-c"], [engine], options)
    with pytest.raises(ValueError, match=message):
        run_benchmark(["ycsb-c"], [engine], options)
    assert not any(tmp_path.iterdir())


def test_the_cli_refuses_a_bad_knob_with_one_line_and_exit_2(tmp_path: Path) -> None:
    command = ["run", "ycsb-c", "--engine", "cassandra", "--knob", "cassandra.heap=1 g"]
    done = subprocess.run(
        [sys.executable, "-m", "bakeoff", *command, "--output", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )

    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "values cannot contain spaces" in line
