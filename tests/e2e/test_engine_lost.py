"""A PostgreSQL killed mid-run ends the trial at once as failed, instead of being
benchmarked on at 100 % errors for the rest of the phase (issue 13, defect 5): during the
load (batches through the SQL path) and during the measure phase (libpq)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from bakeoff.api import run_benchmark
from bakeoff.engines.images import docker_client
from tests.conftest import require_docker
from tests.e2e.engine_containers import existing, ours

pytestmark = [pytest.mark.docker, pytest.mark.slow]

DURATION_S = 30.0


def _kill_engine_after(seconds: float, engine: str, others: set[str], killed: list[float]) -> None:
    """Kill the run's own container of `engine` `seconds` after it appears; containers in
    `others` (the test session's shared servers) are left alone."""
    client = docker_client()
    try:
        deadline = time.monotonic() + 60
        while not ours(client, engine, others) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(seconds)
        for container in ours(client, engine, others):
            container.kill()
            killed.append(time.monotonic())
    finally:
        client.close()


@pytest.mark.parametrize(
    ("phase", "records", "kill_after_s"), [("load", 400_000, 2.5), ("measure", 1000, 5.0)]
)
def test_a_killed_postgres_fails_the_trial_within_seconds(
    tmp_path: Path, phase: str, records: int, kill_after_s: float
) -> None:
    require_docker()
    killed: list[float] = []
    others = existing("postgres")
    killer = threading.Thread(
        target=_kill_engine_after, args=(kill_after_s, "postgres", others, killed)
    )
    killer.start()
    try:
        result = run_benchmark(
            ["ycsb-c"], ["postgres"], output=tmp_path, records=records, duration_s=DURATION_S
        )
        ended = time.monotonic()
    finally:
        killer.join()

    assert killed, "the engine's container was not found to kill"
    (trial,) = result.trials
    assert trial.status == "failed"
    assert f"{phase} phase" in (trial.error or ""), trial.error
    # Well before the phase's end: the lost connection stopped it.
    assert ended - killed[0] < 5.0
