"""SIGTERM and SIGHUP stop a run as Ctrl-C does (issue 13, defects 1 and 9): the trial in
flight keeps what it measured, the run is finished with status interrupted where
`load()` reads it, the engine is removed only after the workers stopped, and the exit
code is 128 + the signal."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bakeoff.results import load, load_manifest
from tests.e2e.cli_process import RunningBakeoff

pytestmark = pytest.mark.slow


def the_run(out: Path) -> Path:
    """The one run folder in `out`, which holds nothing hidden (no `.partial` left)."""
    entries = list(out.iterdir())
    assert len(entries) == 1, entries
    assert not entries[0].name.startswith("."), entries
    return entries[0]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_termination_signal_keeps_the_measured_intervals(tmp_path: Path, signum: int) -> None:
    out = tmp_path / "results"
    run = RunningBakeoff(
        "run", "ycsb-a", "--engine", "sqlite", "--duration", "30", "--output", str(out),
        cwd=tmp_path,
    )  # fmt: skip
    run.wait_for("measure (")
    time.sleep(2.5)  # at least two intervals
    run.proc.send_signal(signum)
    took = run.finish()
    name = signal.Signals(signum).name
    assert run.proc.returncode == 128 + signum, run.stderr
    assert took < 10, f"{name} took {took:.1f} s to take effect"
    assert "Traceback" not in run.stderr
    path = the_run(out)
    assert f"interrupted by {name}: results so far kept in {path}" in run.stderr
    manifest = load_manifest(path)
    assert manifest["status"] == "interrupted"
    trials = manifest["trials"]
    assert isinstance(trials, list) and len(trials) == 1
    trial = trials[0]
    assert trial["status"] == "interrupted"
    assert trial["error"] == f"interrupted by {name}"
    measured = load(path).query("phase == 'measure'")
    assert int(measured["count"].sum()) > 0
    assert measured["interval"].max() >= 1
    assert int(measured["errors"].sum()) == 0
    assert not Path(trial["provenance"]["database_file"]).exists()


@pytest.mark.parametrize("whole_group", [True, False], ids=["process-group", "runner-only"])
def test_sigterm_stops_worker_processes_promptly(tmp_path: Path, whole_group: bool) -> None:
    out = tmp_path / "results"
    run = RunningBakeoff(
        "run", "ycsb-a", "--engine", "sqlite", "--duration", "60", "--processes", "2",
        "--output", str(out),
        cwd=tmp_path,
    )  # fmt: skip
    run.wait_for("measure (")
    time.sleep(2.5)
    if whole_group:  # as `timeout` and a terminal send it: to the worker processes too
        run.signal_group(signal.SIGTERM)
    else:  # as `kill PID` and `docker stop` do
        run.proc.send_signal(signal.SIGTERM)
    took = run.finish()
    assert run.proc.returncode == 143, run.stderr
    assert took < 5, f"SIGTERM with worker processes took {took:.1f} s"
    assert "Traceback" not in run.stderr
    path = the_run(out)
    assert load_manifest(path)["status"] == "interrupted"
    measured = load(path).query("phase == 'measure'")
    assert int(measured["count"].sum()) > 0
    assert measured["interval"].max() >= 1


def test_sigterm_during_the_load_keeps_what_was_loaded(tmp_path: Path) -> None:
    out = tmp_path / "results"
    run = RunningBakeoff(
        "run", "ycsb-a", "--engine", "sqlite", "--records", "5000000", "--output", str(out),
        cwd=tmp_path,
    )  # fmt: skip
    run.wait_for("load (")
    time.sleep(2)
    run.proc.send_signal(signal.SIGTERM)
    took = run.finish()
    assert run.proc.returncode == 143, run.stderr
    assert took < 10
    assert "Traceback" not in run.stderr
    path = the_run(out)
    manifest = load_manifest(path)
    assert manifest["status"] == "interrupted"
    assert manifest["trials"][0]["status"] == "interrupted"  # type: ignore[index]
    frame = load(path)
    assert set(frame["phase"]) == {"load"}
    assert 0 < int(frame["count"].sum()) < 5_000_000
    assert int(frame["errors"].sum()) == 0


@pytest.mark.docker
@pytest.mark.parametrize(
    ("engine", "signum"),
    [("redis", signal.SIGINT), ("redis", signal.SIGTERM), ("postgres", signal.SIGTERM)],
    ids=["redis-SIGINT", "redis-SIGTERM", "postgres-SIGTERM"],
)
def test_the_engine_outlives_the_interrupted_workers(
    tmp_path: Path,
    engine: str,
    signum: int,
    engine_image: Callable[[str], str],
    docker_api: Any,
) -> None:
    """Defect 9: the container used to be removed before the connections stopped, so the
    interrupted trial recorded failures bakeoff itself caused (and SQLAlchemy printed an
    "Exception during reset" traceback for each connection)."""
    out = tmp_path / "results"
    run = RunningBakeoff(
        "run", "ycsb-a", "--engine", engine, "--image", engine_image(engine), "--clients", "4",
        "--duration", "30", "--output", str(out),
        cwd=tmp_path,
    )  # fmt: skip
    run.wait_for("measure (")
    time.sleep(2)
    run.proc.send_signal(signum)
    took = run.finish()
    assert run.proc.returncode == 128 + signum, run.stderr
    assert took < 15
    assert "Traceback" not in run.stderr
    path = the_run(out)
    assert load_manifest(path)["status"] == "interrupted"
    measured = load(path).query("phase == 'measure'")
    assert int(measured["count"].sum()) > 0
    assert int(measured["errors"].sum()) == 0
    label = f"org.bakeoff.pid={run.proc.pid}"
    assert not docker_api.containers.list(all=True, filters={"label": label})
