"""A workload mixing the key-existence check with reads and deletes runs through the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bakeoff.results import load, load_manifest

pytestmark = pytest.mark.slow


def test_exists_runs_on_sqlite_and_counts_absent_keys_as_not_found(tmp_path: Path) -> None:
    workload = tmp_path / "exists-mix.yaml"
    workload.write_text(
        "name: exists-mix\n"
        "records: 200\n"
        "operations: {read: 0.4, exists: 0.4, delete: 0.2}\n"
        "request_distribution: {type: uniform}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "bakeoff", "run", str(workload), "--engine", "sqlite",
         "--operations", "1000", "--output", str(tmp_path / "results")],
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    frame = load(tmp_path / "results")
    measured = frame[frame["phase"] == "measure"]
    assert set(measured["operation"]) == {"read", "exists", "delete"}
    exists = measured[measured["operation"] == "exists"]
    assert int(exists["count"].sum()) > 0
    # Deleted keys are checked again later: a False result is recorded as not found.
    assert int(exists["not_found"].sum()) > 0
    assert load_manifest(next(p for p in (tmp_path / "results").iterdir()))["status"] == "ok"
