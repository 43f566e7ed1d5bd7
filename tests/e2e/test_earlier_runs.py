"""Results written by an earlier bakeoff still load, compare and render (tests/data/runs)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import bakeoff.report
from bakeoff.results import load_manifest

pytestmark = pytest.mark.slow

EARLIER = Path(__file__).parents[1] / "data" / "runs" / "20261129T142703Z-7447"


def bakeoff_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bakeoff", *map(str, args)],
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def earlier_run(tmp_path: Path) -> Path:
    copy = tmp_path / EARLIER.name
    shutil.copytree(EARLIER, copy)
    return copy


def test_an_earlier_run_loads_and_summarizes(earlier_run: Path) -> None:
    frame = bakeoff.report.load(earlier_run)
    summary = bakeoff.report.summarize(frame)

    assert set(summary["workload"]) == {"ycsb-a", "ycsb-e"}
    assert set(summary["repetition"]) == {0, 1}
    assert (summary["ops_per_s"] > 0).all()
    trials = load_manifest(earlier_run)["trials"]
    assert isinstance(trials, list) and len(trials) == 4


def test_an_earlier_run_renders_and_compares_with_itself(earlier_run: Path) -> None:
    report = bakeoff_cli("report", earlier_run)
    compare = bakeoff_cli("compare", earlier_run, earlier_run)

    assert report.returncode == 0, report.stderr
    html = (earlier_run / "report.html").read_text()
    assert "ycsb-e" in html and "sqlite" in html.lower()
    # Its manifest names the connection count by the old key, "threads".
    assert "| connections | 1 |" in (earlier_run / "report.md").read_text()
    assert compare.returncode == 0, compare.stdout + compare.stderr
