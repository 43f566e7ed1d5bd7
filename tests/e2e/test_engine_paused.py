"""A Redis paused (`docker pause`) for 3 s in the measure phase: the stall shows in the
results, among the successes' latencies or, for calls that ended in an error, in their
error kind's own histogram (issue 13, defect 10), and the trial's status says what
happened: ok when every call came back, failed naming the phase when the connection was
lost."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from bakeoff.api import run_benchmark
from bakeoff.core.histogram import decode
from bakeoff.engines.images import docker_client
from bakeoff.harness.progress import SilentProgress
from bakeoff.results import load, load_manifest
from tests.conftest import require_docker
from tests.e2e.engine_containers import existing, ours

pytestmark = [pytest.mark.docker, pytest.mark.slow]

PAUSE_S = 3.0


class MeasureStarts(SilentProgress):
    def __init__(self) -> None:
        self.measuring = threading.Event()

    def phase_started(self, phase: str, total_ops: int | None, duration_s: float | None) -> None:
        if phase == "measure":
            self.measuring.set()


def _pause_during_measure(
    progress: MeasureStarts, others: set[str], paused: list[float], failures: list[BaseException]
) -> None:
    """Pause the run's own Redis container (never the session's shared servers) 1 s
    into the measure phase, for PAUSE_S."""
    client = docker_client()
    try:
        if not progress.measuring.wait(120):
            return
        time.sleep(1.0)
        own = ours(client, "redis", others)
        for container in own:
            container.pause()
        paused.append(time.monotonic())
        time.sleep(PAUSE_S)
        for container in own:
            container.unpause()
    except BaseException as exc:  # reported by the test, not lost in the thread
        failures.append(exc)
    finally:
        client.close()


def test_a_paused_redis_shows_its_stall_and_an_honest_status(tmp_path: Path) -> None:
    require_docker()
    progress = MeasureStarts()
    paused: list[float] = []
    failures: list[BaseException] = []
    others = existing("redis")
    pauser = threading.Thread(
        target=_pause_during_measure, args=(progress, others, paused, failures)
    )
    pauser.start()
    try:
        result = run_benchmark(
            ["ycsb-c"], ["redis"], progress=progress, records=1000, duration_s=8.0,
            output=tmp_path,
        )  # fmt: skip
    finally:
        pauser.join()
    assert not failures, failures
    assert paused, "the engine's container was not found to pause"

    (trial,) = result.trials
    frame = load(result.path)
    measured = frame[frame["phase"] == "measure"]
    stalls = {
        str(outcome): max(decode(h).get_max_value() for h in rows["histogram"] if h) / 1e9
        for outcome, rows in measured.groupby("outcome")
    }
    # Whichever way the calls in flight ended, their 3 s wait is in the results.
    assert max(stalls.values()) >= PAUSE_S * 0.8, stalls
    manifest_trial = load_manifest(result.path)["trials"][0]  # type: ignore[index]
    assert manifest_trial["status"] == trial.status
    if int(measured["errors_fatal"].sum()):
        assert trial.status == "failed"
        assert "measure phase" in (trial.error or "")
    else:
        assert trial.status == "ok", trial.error
    if any(outcome.startswith("error:") for outcome in stalls):
        assert int(measured["errors"].sum()) > 0
    assert existing("redis") <= others  # the run removed its container
