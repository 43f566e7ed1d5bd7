"""`bakeoff capacity` and `bakeoff sweep` against an engine whose capacity is known by
construction (tests/plugins/fixedcapacity: 4 permits × 20 ms per read = 200 reads/s in
one worker process): the search must land within 10 % of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bakeoff.results import load_manifest
from tests.bakeoff_process import bakeoff, bakeoff_with

TRUE_MAX = 4 / 0.020
WORKLOAD = """\
name: reads
records: 50
fields:
  count: 1
  length:
    distribution: constant
    value: 8
operations:
  read: 1.0
"""


def _run(tmp_path: Path, command: str, *args: str) -> dict[str, object]:
    workload = tmp_path / "reads.yaml"
    workload.write_text(WORKLOAD, encoding="utf-8")
    output = tmp_path / "results"
    result = bakeoff_with(
        "fixedcapacity",
        command,
        str(workload),
        "--engine",
        "fixedcapacity",
        "--processes",
        "1",
        "--warmup",
        "1",
        "--duration",
        "2",
        "--output",
        str(output),
        *args,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    (run,) = [p for p in output.iterdir() if not p.name.startswith(".")]
    manifest = load_manifest(run)
    manifest["stdout"] = result.stdout
    manifest["stderr"] = result.stderr
    return manifest


@pytest.mark.slow
def test_the_search_finds_the_known_maximum_within_ten_percent(tmp_path: Path) -> None:
    manifest = _run(
        tmp_path,
        "capacity",
        "--slo",
        "p99<=1s",
        "--connections",
        "8",
        "--start-rate",
        "50",
        "--budget",
        "90s",
    )
    block = manifest["capacity"]
    assert isinstance(block, dict)
    entry = block["engines"]["fixedcapacity"]
    assert entry["converged"] is True, manifest["stderr"]
    assert abs(entry["max_rate"] - TRUE_MAX) / TRUE_MAX <= 0.10, entry
    assert entry["low"] <= entry["max_rate"] < entry["high"]
    steps = entry["steps"]
    assert [s["target_rate"] for s in steps[:3]] == [50.0, 100.0, 200.0]
    assert all(s["reasons"] for s in steps if not s["accepted"])
    # Each step is an ordinary trial, tagged with its rate.
    trials = manifest["trials"]
    assert isinstance(trials, list) and len(trials) == len(steps)
    assert [t["point"] for t in trials] == [{"rate": s["target_rate"]} for s in steps]
    assert all(t["connections"] == 8 for t in trials)
    assert "fixedcapacity" in str(manifest["stdout"]) and "Capacity within" in str(
        manifest["stdout"]
    )
    assert "fixedcapacity step 1: 50.0 ops/s → achieved" in str(manifest["stderr"])


@pytest.mark.slow
def test_a_closed_loop_sweep_tags_each_trial_with_its_connections(tmp_path: Path) -> None:
    manifest = _run(tmp_path, "sweep", "--connections", "1,4,8")
    trials = manifest["trials"]
    assert isinstance(trials, list)
    assert [t["point"] for t in trials] == [{"connections": c} for c in (1.0, 4.0, 8.0)]
    assert [t["connections"] for t in trials] == [1, 4, 8]
    rates = [t["load_generator"]["measure"]["achieved_ops_per_s"] for t in trials]
    # One connection waits on each read (and on waking up: less on a busy machine);
    # four could keep every worker busy; eight queue for the workers, which cap them.
    assert 0.6 * TRUE_MAX / 4 <= rates[0] <= 1.05 * TRUE_MAX / 4
    assert rates[0] < rates[1] <= 1.05 * TRUE_MAX
    assert rates[2] == pytest.approx(TRUE_MAX, rel=0.1)
    assert all("engine_memory_bytes" in t["load_generator"]["measure"] for t in trials)
    assert "Sweep" in str(manifest["stdout"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--slo", "p99<=2"], "give a unit"),
        (["--slo", "p99<=2ms", "--budget", "soon"], "--budget 'soon': expected a duration"),
        (["--slo", "p99<=2ms", "--resume", "/nonexistent"], "no bakeoff manifest there"),
        (["--slo", "p99<=2ms", "-e", "nosuch"], "unknown engine 'nosuch'"),
    ],
)
def test_capacity_mistakes_are_one_line_and_exit_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = bakeoff("capacity", "ycsb-c", "-e", "sqlite", *args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and message in line
    assert not (tmp_path / "results").exists()


def test_sweep_mistakes_are_one_line_and_exit_2(tmp_path: Path) -> None:
    for args, message in [
        (["--connections", "1,x"], "expected comma-separated numbers"),
        ([], "at least one of connections, rates or cpus"),
        (["--connections", "2,2"], "given twice"),
    ]:
        result = bakeoff("sweep", "ycsb-c", "-e", "sqlite", *args, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith("error: ") and message in line
