"""Property: whatever damage a run folder suffers, the reader answers with its own error.

A real small run is written once per module; each example copies it, damages one of its
files (random bytes, a truncation or bit flips) and reads it every way the reader offers.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bakeoff.results.reader import DamagedRunError, load, read_run
from bakeoff.results.schema import MANIFEST_FILE, SAMPLES_FILE
from tests.unit.results.test_reader import finished_run

FILES = (SAMPLES_FILE, MANIFEST_FILE)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return finished_run(tmp_path_factory.mktemp("pristine"), "run")


@st.composite
def damage(draw: st.DrawFn, size: int) -> tuple[str, object]:
    kind = draw(st.sampled_from(["bytes", "truncate", "flip"]))
    if kind == "bytes":
        return kind, draw(st.binary(max_size=2048))
    if kind == "truncate":
        return kind, draw(st.integers(0, max(size - 1, 0)))
    positions = st.tuples(st.integers(0, max(size - 1, 0)), st.integers(0, 7))
    return kind, draw(st.lists(positions, min_size=1, max_size=8))


def damaged(data: bytes, kind: str, how: object) -> bytes:
    if kind == "bytes":
        assert isinstance(how, bytes)
        return how
    if kind == "truncate":
        assert isinstance(how, int)
        return data[:how]
    flipped = bytearray(data)
    assert isinstance(how, list)
    for position, bit in how:
        flipped[position] ^= 1 << bit
    return bytes(flipped)


@pytest.fixture
def copies(pristine: Path) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


def read_every_way(run: Path) -> None:
    load(run)
    stored = read_run(run)
    stored.ok_trials()
    stored.samples()


@settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_damage_raises_only_the_readers_error(
    pristine: Path, copies: Path, data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(FILES))
    original = (pristine / name).read_bytes()
    kind, how = data.draw(damage(len(original)))
    run = copies / "run"
    shutil.rmtree(run, ignore_errors=True)
    shutil.copytree(pristine, run)
    (run / name).write_bytes(damaged(original, kind, how))
    try:
        read_every_way(run)
    except DamagedRunError as exc:
        assert str(exc).startswith(str(run / name)), exc
