"""A third-party engine and adapter, found through entry points with bakeoff unchanged.

The plugin (tests/plugins/dictstore) is a distribution a user could have installed: a
module and its dist-info. Putting its folder on the path of a fresh process stands in for
installing it; `bakeoff` then lists its engine and runs a real trial on it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bakeoff.results import load, load_manifest
from tests.bakeoff_process import bakeoff_with

OPERATIONS = 600
# All five operations of the adapter contract, and a verify phase that counts records.
WORKLOAD = """\
name: every-operation
records: 200
operation_count: {operations}
fields:
  count: 3
  length:
    distribution: constant
    value: 20
operations:
  read: 0.3
  update: 0.2
  insert: 0.2
  scan: 0.1
  delete: 0.2
scan_length:
  distribution: uniform
  min: 1
  max: 10
"""


def test_bakeoff_lists_a_plugins_engine(tmp_path: Path) -> None:
    result = bakeoff_with("dictstore", "engines", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if "dictstore" in line)
    assert "key-value" in row and "embedded" in row and "yes" in row


@pytest.mark.slow
def test_a_trial_runs_on_a_plugins_engine(tmp_path: Path) -> None:
    workload = tmp_path / "every-operation.yaml"
    workload.write_text(WORKLOAD.format(operations=OPERATIONS), encoding="utf-8")
    output = tmp_path / "results"
    result = bakeoff_with(
        "dictstore",
        "run",
        str(workload),
        "--engine",
        "dictstore",
        "--output",
        str(output),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    (run,) = [p for p in output.iterdir() if not p.name.startswith(".")]
    manifest = load_manifest(run)
    assert manifest["status"] == "ok"
    trials = manifest["trials"]
    assert isinstance(trials, list) and len(trials) == 1
    trial = trials[0]
    assert trial["engine"] == "dictstore"
    assert trial["engine_version"] == "DictStore 0.1.0"
    assert trial["verify"]["ok"]
    frame = load(run)
    measured = frame[frame["phase"] == "measure"]
    assert set(measured["operation"]) == {"read", "update", "insert", "scan", "delete"}
    # Reads of records deleted meanwhile are counted as not found.
    assert int(measured["count"].sum()) + int(measured["not_found"].sum()) == OPERATIONS
    assert int(measured["errors"].sum()) == 0
    assert int(frame[frame["phase"] == "load"]["count"].sum()) == 200


def test_a_plugin_reusing_a_name_stops_the_cli_with_one_line(tmp_path: Path) -> None:
    result = bakeoff_with("duplicate", "engines", cwd=tmp_path)

    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "is defined twice" in line and "bakeoff-duplicate" in line
    assert "Traceback" not in result.stderr
