"""`--fault` on the command line: a bad entry is refused before anything starts, naming
the entry and the field; a node the engine lacks is named once it is up."""

from __future__ import annotations

from pathlib import Path

from tests.bakeoff_process import bakeoff
from tests.e2e.test_cli_mistakes import nothing_written, refused, run_args


def test_a_bad_fault_is_refused_naming_the_field(tmp_path: Path) -> None:
    result = bakeoff(*run_args(tmp_path, "-e", "sqlite", "--fault", "at=soon,kill"), cwd=tmp_path)
    line = refused(result)
    assert "fault 'at=soon,kill': at: expected a duration" in line
    assert nothing_written(tmp_path)


def test_a_fault_without_a_kind_lists_the_kinds(tmp_path: Path) -> None:
    args = run_args(tmp_path, "-e", "sqlite", "--fault", "at=2s,node=2")
    line = refused(bakeoff(*args, cwd=tmp_path))
    assert "kind: missing; one of kill, stop, pause, partition, latency" in line


def test_faults_on_an_embedded_engine_are_refused_before_it_starts(tmp_path: Path) -> None:
    args = run_args(tmp_path, "-e", "sqlite", "--fault", "at=1s,kill")
    line = refused(bakeoff(*args, cwd=tmp_path))
    assert "faults need an engine bakeoff starts in a container; sqlite" in line
    assert nothing_written(tmp_path)
