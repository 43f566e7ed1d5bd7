"""`bakeoff run`'s telemetry options from the command line."""

from __future__ import annotations

import socket
from pathlib import Path

import pandas as pd

from tests.bakeoff_process import bakeoff
from tests.e2e.test_cli_mistakes import nothing_written, refused, run_args


def test_a_taken_prometheus_port_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = refused(
            bakeoff(*run_args(tmp_path, "-e", "sqlite", "--prometheus", str(port)), cwd=tmp_path)
        )
    assert f"cannot listen on 127.0.0.1:{port}" in line
    assert nothing_written(tmp_path)


def test_telemetry_must_be_on_or_off(tmp_path: Path) -> None:
    line = refused(bakeoff(*run_args(tmp_path, "-e", "sqlite", "--telemetry", "yes"), cwd=tmp_path))
    assert "expected on or off" in line
    assert nothing_written(tmp_path)


def test_the_manifest_records_the_choice(tmp_path: Path) -> None:
    result = bakeoff(*run_args(tmp_path, "-e", "sqlite", "--telemetry", "off"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    [run] = (tmp_path / "results").iterdir()
    options = pd.read_json(run / "manifest.json", typ="series")["options"]
    assert options["telemetry"] is False and options["telemetry_interval_s"] is None
