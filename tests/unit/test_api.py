"""The Python API: the processes × clients split `--connections N` picks, and input
refused before anything starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bakeoff.api import plan_run, run_benchmark, split_connections
from bakeoff.engines.provisioning import EngineOptions
from bakeoff.harness.options import RunOptions


@pytest.mark.parametrize(
    ("connections", "cores", "split"),
    [
        (1, 2, (1, 1)),
        (8, 2, (2, 4)),  # one process per core, the rest as threads
        (8, 4, (4, 2)),
        (7, 2, (1, 7)),  # a prime above the core count: one process, so P × C = N exactly
        (2, 8, (2, 1)),  # never more processes than connections
        (12, 8, (6, 2)),
    ],
)
def test_split_multiplies_out_with_at_most_one_process_per_core(
    connections: int, cores: int, split: tuple[int, int]
) -> None:
    assert split_connections(connections, cores) == split
    processes, clients = split
    assert processes * clients == connections
    assert processes <= cores


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
