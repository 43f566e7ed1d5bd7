"""A run on a Ray cluster: its load-generator nodes in the report's methodology."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np

from bakeoff.harness.trial import TrialRecord
from bakeoff.report.build import build_report
from bakeoff.report.methodology import methodology
from bakeoff.results import RunWriter
from tests.unit.report.test_report_model import ENGINES, START, WORKLOAD, interval_rows

NODES = [
    {
        "node_id": "a" * 56,
        "host": "loadgen-1",
        "cores": 8,
        "memory_bytes": 16 * 2**30,
        "python": "3.11.9",
        "ray": "2.60.0",
        "clock_offset_ns": 12_345,
        "clock_offset_uncertainty_ns": 150,
        "workers": [0, 2],
        "connections": [0, 2],
        "operations": 500,
        "client_saturated": False,
        "lost": False,
    },
    {
        "node_id": "b" * 56,
        "host": "loadgen-2",
        "cores": 8,
        "memory_bytes": 16 * 2**30,
        "python": "3.11.9",
        "ray": "2.60.0",
        "clock_offset_ns": -86_400_000_000_000,
        "clock_offset_uncertainty_ns": 420,
        "workers": [1, 3],
        "connections": [1, 3],
        "operations": 500,
        "client_saturated": True,
        "lost": False,
    },
]


def test_every_node_is_listed_with_its_offset_split_and_saturation(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path, run_id="run-c", command=["bakeoff"], options={"cluster": "x"})
    path = _one_trial(writer, {"executor": "ray", "measure": {"nodes": NODES}})
    report = build_report(path)
    sections = {s.slug: s for s in methodology(report)}
    (table,) = sections["cluster"].tables
    rows = {row[2]: dict(zip(table.columns, row, strict=True)) for row in table.rows}
    assert set(rows) == {"loadgen-1", "loadgen-2"}
    assert rows["loadgen-1"]["clock offset"] == "12345 ± 150 ns"
    assert rows["loadgen-2"]["client saturated"] == "yes"
    assert rows["loadgen-1"]["workers (connections)"].startswith("2 ")
    assert "Ray 2.60.0" in rows["loadgen-2"]["versions"]


def test_a_run_on_one_machine_has_no_node_table(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path, run_id="run-l", command=["bakeoff"], options={})
    report_sections = {s.slug for s in methodology(build_report(_one_trial(writer)))}
    assert "cluster" not in report_sections


def _one_trial(writer: RunWriter, load_generator: dict[str, object] | None = None) -> Path:
    writer.add_trial(
        TrialRecord(
            trial=0,
            repetition=0,
            engine="fastdb",
            engine_version="1",
            workload=WORKLOAD,
            endpoint_display_url="fastdb://db",
            settings={},
            provenance={},
            adapter="sql",
            connections=1,
            seed=1,
            started_at=START,
            ended_at=START + timedelta(seconds=4),
            status="ok",
            error=None,
            verify={"ok": True},
            rows=interval_rows(np.random.default_rng(0), ENGINES["fastdb"], 4),
            load_generator=load_generator or {},
        )
    )
    path = writer.finish("ok")
    assert isinstance(path, Path)
    return path
