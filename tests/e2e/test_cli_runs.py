"""`bakeoff runs recover`: a run killed outright (SIGKILL) is finished with status killed,
its written trials kept, and the containers of its dead process removed."""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bakeoff.results import load, load_manifest
from tests.e2e.cli_process import RunningBakeoff

pytestmark = pytest.mark.slow

WORKLOADS = Path(__file__).parents[2] / "workloads"


def recover(out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bakeoff", "runs", "recover", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def killed_mid_measure(run: RunningBakeoff, measures: int = 1) -> None:
    run.wait_for("measure (", count=measures)
    time.sleep(1.5)
    run.proc.send_signal(signal.SIGKILL)
    run.finish()
    assert run.proc.returncode == -signal.SIGKILL


def test_recover_finishes_a_killed_run_with_its_written_trials(tmp_path: Path) -> None:
    out = tmp_path / "results"
    workload = tmp_path / "ycsb-a-warm.yaml"
    workload.write_text((WORKLOADS / "ycsb-a.yaml").read_text() + "warmup_s: 0.5\n")
    run = RunningBakeoff(
        "run", str(workload), "--engine", "sqlite", "--duration", "2", "--repeat", "2",
        "--output", str(out),
        cwd=tmp_path,
    )  # fmt: skip
    killed_mid_measure(run, measures=2)  # in the second trial; the first is written
    databases = list(Path(tempfile.gettempdir()).glob(f"bakeoff-sqlite-pid{run.proc.pid}-*"))
    assert len(databases) == 1  # the killed trial's, which nothing removed
    (partial,) = out.iterdir()
    assert partial.name.endswith(".partial")
    path = out / partial.name.removeprefix(".").removesuffix(".partial")

    result = recover(out)
    assert result.returncode == 0, result.stderr
    assert list(out.iterdir()) == [path]
    # Other lines may name containers other dead bakeoff processes of the machine left.
    assert f"recovered {path} (status killed)" in result.stdout.splitlines()
    manifest = load_manifest(path)
    assert manifest["status"] == "killed"
    assert "writer" not in manifest
    assert [t["status"] for t in manifest["trials"]] == ["ok", "killed"]  # type: ignore[attr-defined]
    frame = load(path)
    measured = frame.query("phase == 'measure'")
    assert set(measured["trial"]) == {0}
    assert int(measured["count"].sum()) > 0
    # The trial in flight keeps the phases it had finished before the SIGKILL.
    in_flight = frame.query("trial == 1")
    assert set(in_flight["phase"]) == {"load", "warmup"}
    assert int(in_flight["count"].sum()) > 0
    assert f"removed database folder {databases[0]}" in result.stdout.splitlines()
    assert not databases[0].exists()

    again = recover(out)
    assert again.returncode == 0
    assert "recovered" not in again.stdout


def test_recover_keeps_a_run_that_is_still_being_written(tmp_path: Path) -> None:
    out = tmp_path / "results"
    run = RunningBakeoff(
        "run", "ycsb-a", "--engine", "sqlite", "--duration", "30", "--output", str(out),
        cwd=tmp_path,
    )  # fmt: skip
    try:
        run.wait_for("measure (")
        result = recover(out)
        assert result.returncode == 0, result.stderr
        (partial,) = out.iterdir()
        assert f"kept {partial}: bakeoff process {run.proc.pid} is still writing it" in (
            result.stdout
        )
        assert partial.name.endswith(".partial")
    finally:
        run.proc.send_signal(signal.SIGINT)
        run.finish()
    assert load_manifest(next(out.iterdir()))["status"] == "interrupted"


@pytest.mark.docker
def test_recover_removes_the_containers_of_a_killed_run(
    tmp_path: Path, engine_image: Callable[[str], str], docker_api: Any
) -> None:
    out = tmp_path / "results"
    run = RunningBakeoff(
        "run", "ycsb-a", "--engine", "redis", "--image", engine_image("redis"), "--duration", "30",
        "--output", str(out),
        cwd=tmp_path,
    )  # fmt: skip
    label = {"label": f"org.bakeoff.pid={run.proc.pid}"}
    killed_mid_measure(run)
    (left,) = docker_api.containers.list(all=True, filters=label)

    result = recover(out)
    assert result.returncode == 0, result.stderr
    assert f"removed container {left.name}" in result.stdout
    assert not docker_api.containers.list(all=True, filters=label)
    (path,) = out.iterdir()
    assert load_manifest(path)["status"] == "killed"
    # The measure phase in flight is what SIGKILL loses; the load before it is kept.
    assert set(load(path)["phase"]) <= {"load", "warmup"}
    assert "load" in set(load(path)["phase"])


def test_the_next_run_points_at_recover(tmp_path: Path) -> None:
    out = tmp_path / "results"
    run = RunningBakeoff(
        "run", "ycsb-a", "--engine", "sqlite", "--duration", "30", "--output", str(out),
        cwd=tmp_path,
    )  # fmt: skip
    killed_mid_measure(run)
    next_run = subprocess.run(
        [sys.executable, "-m", "bakeoff", "run", "ycsb-c", "--engine", "sqlite",
         "--records", "100", "--operations", "100", "--output", str(out)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert next_run.returncode == 0, next_run.stderr
    said = " ".join(next_run.stderr.split())
    (partial,) = out.glob(".*.partial")
    assert f"killed processes: {partial}; `bakeoff runs recover {out}` finishes them" in said
