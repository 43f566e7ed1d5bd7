"""Mistakes refused before anything starts: exit 2, one line on stderr, nothing written."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.bakeoff_process import bakeoff
from tests.e2e.cli_process import RunningBakeoff

EXIT_USAGE = 2


def refused(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a refused command printed."""
    assert result.returncode == EXIT_USAGE, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def run_args(tmp_path: Path, *args: str) -> list[str]:
    output = tmp_path / "results"
    return [
        "run",
        "ycsb-c",
        "--records",
        "50",
        "--operations",
        "100",
        "--output",
        str(output),
        *args,
    ]


def nothing_written(tmp_path: Path) -> bool:
    return not (tmp_path / "results").exists() or not any((tmp_path / "results").iterdir())


def test_missing_driver_and_docker_sdk_named_at_once_with_the_pip_line(tmp_path: Path) -> None:
    # A sitecustomize that makes the driver and the Docker SDK unimportable, as when
    # bakeoff was installed without the extras.
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "sitecustomize.py").write_text(
        "import sys\nfor name in ('psycopg', 'docker'):\n    sys.modules[name] = None\n"
    )
    line = refused(
        bakeoff(
            *run_args(tmp_path, "-e", "sqlite", "-e", "postgres"),
            cwd=tmp_path,
            env={"PYTHONPATH": str(hide)},
        )
    )
    assert "psycopg" in line and "docker" in line
    assert "pip install 'bakeoff[containers,postgres]'" in line
    assert nothing_written(tmp_path)


def test_misspelt_knob_is_refused_with_the_name_meant(tmp_path: Path) -> None:
    line = refused(
        bakeoff(
            *run_args(tmp_path, "-e", "sqlite", "--knob", "sqlite.synchronus=off"), cwd=tmp_path
        )
    )
    assert "did you mean synchronous" in line
    assert "PRAGMA pragma_list" in line  # what the name was checked against
    assert nothing_written(tmp_path)


@pytest.mark.parametrize(
    "option", [["--url", "redis=redis://127.0.0.1:1/0"], ["--knob", "redis.appendonly=yes"]]
)
def test_url_or_knob_for_an_engine_outside_the_run_is_refused(
    tmp_path: Path, option: list[str]
) -> None:
    line = refused(bakeoff(*run_args(tmp_path, "-e", "sqlite", *option), cwd=tmp_path))
    assert "'redis' is not part of this run" in line


def test_unknown_engine_gets_did_you_mean(tmp_path: Path) -> None:
    line = refused(bakeoff(*run_args(tmp_path, "-e", "sqlit"), cwd=tmp_path))
    assert "did you mean 'sqlite'?" in line


def test_report_option_taken_as_a_file_name_is_refused(tmp_path: Path) -> None:
    line = refused(bakeoff("report", "results/some-run", "--html", "--markdown", cwd=tmp_path))
    assert "--html needs a file name" in line
    assert not (tmp_path / "--markdown").exists()


def test_run_option_taken_as_the_output_folder_is_refused(tmp_path: Path) -> None:
    args = ["run", "ycsb-c", "-e", "sqlite", "--output", "--report"]
    line = refused(bakeoff(*args, cwd=tmp_path))
    assert "--output needs a folder" in line
    assert not (tmp_path / "--report").exists()


def test_compare_option_taken_as_a_file_name_is_refused(tmp_path: Path) -> None:
    line = refused(bakeoff("compare", "a", "b", "--markdown", "--json", cwd=tmp_path))
    assert "--markdown needs a file name" in line
    assert not (tmp_path / "--json").exists()


@pytest.mark.slow
def test_ctrl_c_prints_one_line_per_trial_kept(tmp_path: Path) -> None:
    out = tmp_path / "results"
    args = ["run", "ycsb-c", "-e", "sqlite", "--records", "200", "--duration", "60"]
    running = RunningBakeoff(*args, "--output", str(out), cwd=tmp_path)
    running.wait_for("measure (")
    running.signal_group(2)
    running.finish()
    assert running.proc.returncode == 130, running.stderr
    assert "Traceback" not in running.stderr
    kept = [line for line in running.stderr.splitlines() if line.startswith("kept: ")]
    assert kept == ["kept: sqlite / ycsb-c, repetition 1: interrupted"], running.stderr
