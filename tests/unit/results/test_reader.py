from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bakeoff.core.secrets import REDACTED
from bakeoff.results.reader import (
    NotARunError,
    load,
    ok_trial_keys,
    read_run,
    read_runs,
    run_directories,
)
from bakeoff.results.schema import MANIFEST_FILE, SAMPLES_FILE
from bakeoff.results.writer import RunWriter
from tests.unit.results.test_store import SECRET, trial_record


def finished_run(folder: Path, run_id: str, *, failed: tuple[int, ...] = ()) -> Path:
    writer = RunWriter(folder, run_id=run_id)
    for trial in range(3):
        status = "failed" if trial in failed else "ok"
        writer.add_trial(trial_record(trial, repetition=trial, status=status))
    return writer.finish("partial" if failed else "ok")


def test_a_folder_lists_its_finished_runs_only(tmp_path: Path) -> None:
    a = finished_run(tmp_path, "a")
    b = finished_run(tmp_path, "b")
    unfinished = RunWriter(tmp_path, run_id="c")
    unfinished.add_trial(trial_record(0))
    (tmp_path / "no-manifest").mkdir()
    shutil.copy(b / SAMPLES_FILE, tmp_path / "no-manifest" / SAMPLES_FILE)
    (tmp_path / "stray").mkdir()

    assert run_directories([tmp_path]) == [a, b]
    # A partial run is read when named, as `load` reads it.
    assert run_directories([unfinished.path_partial]) == [unfinished.path_partial]
    assert len(load(unfinished.path_partial)) == 1


def test_not_a_run_is_one_error_naming_the_path(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    samples_only = tmp_path / "samples-only"
    samples_only.mkdir()
    (samples_only / SAMPLES_FILE).write_bytes(b"")
    text = tmp_path / "notes.txt"
    text.write_text("not a run")
    for path in (tmp_path / "empty", samples_only, text):
        with pytest.raises(NotARunError, match=f"{path.name}: not a bakeoff run directory"):
            run_directories([path])
        with pytest.raises(ValueError, match="neither a bakeoff run"):
            load(path)
    with pytest.raises(FileNotFoundError, match="no such run directory"):
        read_runs([tmp_path / "missing"])


def test_ok_trials_come_from_the_manifest(tmp_path: Path) -> None:
    run = read_run(finished_run(tmp_path, "mixed", failed=(1,)))
    assert run.run_id == "mixed"
    assert run.ok_trials() == {0, 2}
    assert ok_trial_keys([run]) == {("mixed", 0), ("mixed", 2)}
    assert sorted(run.samples()["trial"].unique()) == [0, 1, 2]


def test_a_hand_edited_manifest_is_redacted_on_reading(tmp_path: Path) -> None:
    path = finished_run(tmp_path, "edited")
    manifest = json.loads((path / MANIFEST_FILE).read_text())
    manifest["command"] = ["bakeoff", "run", "--url", f"postgresql://u:{SECRET}@db/x"]
    manifest["options"] = {"password": SECRET}
    (path / MANIFEST_FILE).write_text(json.dumps(manifest))
    run = read_run(path)
    assert SECRET not in json.dumps(run.manifest)
    assert run.section("options") == {"password": REDACTED}
    assert run.section("nothing") == {}
