"""Ctrl-C during a run: the CLI stops promptly, keeps what was measured and says so."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bakeoff.results import load, load_manifest

pytestmark = pytest.mark.slow


def test_sigint_keeps_measured_results(tmp_path: Path) -> None:
    out = tmp_path / "results"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bakeoff",
            "run",
            "ycsb-a",
            "--engine",
            "sqlite",
            "--records",
            "500",
            "--duration",
            "60",
            "--output",
            str(out),
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 60
    for line in proc.stderr:
        if "measure (" in line:
            break
        assert time.monotonic() < deadline, "the measure phase never started"
    time.sleep(2.5)  # let at least two intervals complete
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert time.monotonic() - sent < 10, "Ctrl-C took too long to take effect"
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    runs = [p for p in out.iterdir() if not p.name.startswith(".")]
    assert len(runs) == 1
    assert load_manifest(runs[0])["status"] == "interrupted"
    trial = load_manifest(runs[0])["trials"][0]  # type: ignore[index]
    assert trial["status"] == "interrupted"
    frame = load(runs[0])
    measured = frame[frame["phase"] == "measure"]
    assert int(measured["count"].sum()) > 0
    assert measured["interval"].max() >= 1
    assert not Path(trial["provenance"]["database_file"]).exists()
