"""Write errors while a run is written: the run keeps every trial already durable, says
which trial could not be written and why, and leaves no temporary file behind."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

import pytest

import bakeoff.core.files
import bakeoff.results.sample_records
import bakeoff.results.writer
from bakeoff.results.reader import load, load_manifest
from bakeoff.results.schema import TRIALS_DIR
from bakeoff.results.writer import (
    OutputFolderError,
    RunWriteError,
    RunWriter,
    check_output_folder,
)
from tests.unit.results.read_only import read_only_folder
from tests.unit.results.test_reader import finished_run
from tests.unit.results.test_store import trial_record

ENOSPC = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def full_disk_from(monkeypatch: pytest.MonkeyPatch, first_failing: int, *, stays: bool) -> None:
    """Every atomic write from the `first_failing`-th on (or only that one) writes half its
    bytes and then fails with ENOSPC, as a disk that fills up does."""
    real = bakeoff.core.files.replace_atomically
    calls = 0

    def replace(path: Path, write: Callable[[Path], object], *, durable: bool = True) -> Path:
        nonlocal calls
        calls += 1
        if calls < first_failing or (calls > first_failing and not stays):
            return real(path, write, durable=durable)

        def half(tmp: Path) -> None:
            write(tmp)
            data = tmp.read_bytes()
            tmp.write_bytes(data[: len(data) // 2])
            raise ENOSPC

        return real(path, half, durable=durable)

    monkeypatch.setattr(bakeoff.core.files, "replace_atomically", replace)
    monkeypatch.setattr(bakeoff.results.sample_records, "replace_atomically", replace)


def leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


# Counted from the patch on: a trial writes its samples, then the manifest.
@pytest.mark.parametrize("failing", [1, 2], ids=["samples", "manifest"])
def test_a_trial_that_cannot_be_written_ends_the_run_with_those_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: int
) -> None:
    writer = RunWriter(tmp_path, run_id="run")
    writer.add_trial(trial_record(0))
    full_disk_from(monkeypatch, failing, stays=False)
    with pytest.raises(RunWriteError) as caught:
        writer.add_trial(trial_record(1, repetition=1))
    message = str(caught.value)
    assert "trial 1 (postgres / " in message and "No space left on device" in message
    assert f"failed with the 1 trials written before it, in {tmp_path / 'run'}" in message
    assert "\n" not in message
    assert load_manifest(tmp_path / "run")["status"] == "failed"
    assert set(load(tmp_path / "run")["trial"]) == {0}
    assert leftovers(tmp_path) == []
    assert writer.finish("ok") == tmp_path / "run"  # the run is closed; asking again is fine


def test_a_disk_that_stays_full_keeps_the_trials_in_the_partial_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = RunWriter(tmp_path, run_id="run")
    writer.add_trial(trial_record(0))
    full_disk_from(monkeypatch, 1, stays=True)
    with pytest.raises(RunWriteError, match=r"are kept in .*\.run\.partial$"):
        writer.add_trial(trial_record(1, repetition=1))
    assert set(load(writer.path_partial)["trial"]) == {0}
    assert [p.name for p in (writer.path_partial / TRIALS_DIR).iterdir()] == [
        "trial-00000-rep-000.parquet"
    ]
    assert leftovers(tmp_path) == []
    with pytest.raises(RunWriteError, match=r"could not be finished \(No space left"):
        writer.finish("ok")
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    "name, expected",
    [
        ("file", "is a file, not a folder"),
        ("run", "is a run directory"),
        ("", "--output is empty"),
    ],
)
def test_an_output_folder_that_cannot_hold_runs_is_refused(
    tmp_path: Path, name: str, expected: str
) -> None:
    (tmp_path / "file").write_text("x")
    finished_run(tmp_path, "run")
    given = str(tmp_path / name) if name else ""
    with pytest.raises(OutputFolderError, match=expected):
        check_output_folder(given)
    if name:
        with pytest.raises(OutputFolderError, match=expected):
            RunWriter(Path(given))
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [
        "manifest.json",
        "samples.parquet",
    ]


def test_a_read_only_output_folder_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    with read_only_folder(tmp_path / "ro") as folder:
        with pytest.raises(OutputFolderError, match="cannot write there"):
            check_output_folder(folder)
        with pytest.raises(OutputFolderError, match="cannot write there"):
            RunWriter(folder / "results")
