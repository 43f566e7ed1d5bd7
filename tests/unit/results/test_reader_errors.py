"""Damaged run files: the reader answers each with DamagedRunError naming the file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from bakeoff.results.reader import DamagedRunError, NotARunError, load, read_run
from bakeoff.results.schema import MANIFEST_FILE, SAMPLES_FILE
from tests.unit.results.test_reader import finished_run


def _truncate(file: Path) -> None:
    data = file.read_bytes()
    file.write_bytes(data[: len(data) // 2])


def _flip_footer_length(file: Path) -> None:
    # A Parquet file ends in its footer's length and PAR1; one flipped bit there leaves
    # the magic intact and the footer unreadable.
    data = bytearray(file.read_bytes())
    data[-6] ^= 0x40
    file.write_bytes(bytes(data))


def _other_columns(file: Path) -> None:
    pd.DataFrame({"run_id": ["x"], "value": [1.0]}).to_parquet(file)


def _mistyped_columns(file: Path) -> None:
    frame = pd.read_parquet(file)
    frame["count"] = "many"
    frame.to_parquet(file)


SAMPLE_DAMAGE: dict[str, Callable[[Path], object]] = {
    "truncated": _truncate,
    "empty": lambda f: f.write_bytes(b""),
    "garbage": lambda f: f.write_bytes(b"\x00garbage\xff" * 100),
    "bit-flipped": _flip_footer_length,
    "other schema": _other_columns,
    "mistyped column": _mistyped_columns,
}
MANIFEST_DAMAGE: dict[str, Callable[[Path], object]] = {
    "truncated": _truncate,
    "empty": lambda f: f.write_bytes(b""),
    "binary": lambda f: f.write_bytes(b"\xff\xfe\x00\x81 not text"),
    "a list": lambda f: f.write_text("[1, 2]"),
    "deeply nested": lambda f: f.write_text("[" * 100_000 + "]" * 100_000),
    "trials not a list": lambda f: f.write_text('{"trials": {"0": "ok"}}'),
    "trial without a number": lambda f: f.write_text('{"trials": [{"status": "ok"}]}'),
}


def damaged_run(tmp_path: Path, file_name: str, damage: Callable[[Path], object]) -> Path:
    run = finished_run(tmp_path, "run")
    damage(run / file_name)
    return run


@pytest.mark.parametrize("damage", SAMPLE_DAMAGE.values(), ids=SAMPLE_DAMAGE.keys())
def test_damaged_samples_are_one_error_naming_the_file(
    tmp_path: Path, damage: Callable[[Path], object]
) -> None:
    run = damaged_run(tmp_path, SAMPLES_FILE, damage)
    for read in (load, lambda r: read_run(r).samples()):
        with pytest.raises(DamagedRunError, match=f"^{run / SAMPLES_FILE}: "):
            read(run)


@pytest.mark.parametrize("damage", MANIFEST_DAMAGE.values(), ids=MANIFEST_DAMAGE.keys())
def test_damaged_manifests_are_one_error_naming_the_file(
    tmp_path: Path, damage: Callable[[Path], object]
) -> None:
    run = damaged_run(tmp_path, MANIFEST_FILE, damage)
    with pytest.raises(DamagedRunError, match=f"^{run / MANIFEST_FILE}: ") as caught:
        read_run(run)
    assert isinstance(caught.value, NotARunError)  # what callers already handle
    assert "\n" not in str(caught.value)


def test_an_empty_manifest_is_refused_but_its_samples_still_load(tmp_path: Path) -> None:
    run = damaged_run(tmp_path, MANIFEST_FILE, lambda f: f.write_text("{}"))
    with pytest.raises(DamagedRunError, match="missing its trials list"):
        read_run(run)
    assert len(load(run)) == 3


def test_a_manifest_without_optional_fields_is_read(tmp_path: Path) -> None:
    run = finished_run(tmp_path, "run")
    (run / MANIFEST_FILE).write_text(json.dumps({"trials": [{"trial": 0, "status": "ok"}]}))
    stored = read_run(run)
    assert stored.run_id == "run"
    assert stored.ok_trials() == {0}
