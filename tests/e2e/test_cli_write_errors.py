"""`bakeoff run` meets a folder it cannot write or a disk that fills up: one line, never
a traceback; refused before any engine starts, or the trials already written kept."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

import bakeoff.core.files
import bakeoff.results.sample_records
from bakeoff.cli import app
from bakeoff.results import load, load_manifest
from tests.bakeoff_process import bakeoff as bakeoff_cli
from tests.unit.results.read_only import read_only_folder
from tests.unit.results.test_reader import finished_run

pytestmark = pytest.mark.slow

SMALL = ("ycsb-c", "--engine", "sqlite", "--records", "50", "--operations", "200")


def error_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines and lines[-1].startswith("error: "), stderr
    return lines[-1]


@pytest.mark.parametrize("case", ["a file", "an existing run", "empty", "read-only"])
def test_an_output_that_cannot_hold_the_run_is_refused_up_front(tmp_path: Path, case: str) -> None:
    (tmp_path / "a-file").write_text("x")
    finished_run(tmp_path / "results", "earlier")
    outputs = {
        "a file": str(tmp_path / "a-file"),
        "an existing run": str(tmp_path / "results" / "earlier"),
        "empty": "",
        "read-only": str(tmp_path / "ro" / "results"),
    }
    with read_only_folder(tmp_path / "ro"):
        result = bakeoff_cli("run", *SMALL, "--output", outputs[case], cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    line = error_line(result.stderr)
    assert (outputs[case] or "--output") in line
    assert result.stderr.count("\n") == 1, result.stderr  # no engine started, no progress
    assert sorted(p.name for p in (tmp_path / "results" / "earlier").iterdir()) == [
        "manifest.json",
        "samples.parquet",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "results", "ro"]


def test_a_full_disk_mid_run_keeps_the_trials_written_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = bakeoff.core.files.replace_atomically

    def replace(path: Path, write: Callable[[Path], object], *, durable: bool = True) -> Path:
        if not path.name.startswith("trial-00001"):
            return real(path, write, durable=durable)

        def full(tmp: Path) -> None:
            write(tmp)
            tmp.write_bytes(tmp.read_bytes()[:100])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        return real(path, full, durable=durable)

    monkeypatch.setattr(bakeoff.core.files, "replace_atomically", replace)
    monkeypatch.setattr(bakeoff.results.sample_records, "replace_atomically", replace)
    out = tmp_path / "results"
    result = CliRunner().invoke(app, ["run", *SMALL, "--repeat", "2", "--output", str(out)])
    assert result.exit_code == 1, result.output
    line = error_line(result.stderr)
    assert "trial 1 (sqlite / ycsb-c, repetition 1) could not be written" in line
    assert "No space left on device" in line
    (run,) = out.iterdir()
    assert str(run) in line
    assert load_manifest(run)["status"] == "failed"
    assert set(load(run)["trial"]) == {0}
    assert [p for p in out.rglob("*") if p.name.endswith(".tmp")] == []
