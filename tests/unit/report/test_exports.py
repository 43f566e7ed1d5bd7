"""The CSV summary and the pytest-benchmark JSON: what they hold, and that
pytest-benchmark itself reads the JSON."""

from __future__ import annotations

import csv
import importlib
import json
import math
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bakeoff.core.histogram import merge_encoded
from bakeoff.report.build import build_report
from bakeoff.report.exports import (
    CSV_COLUMNS,
    PYTEST_BENCHMARK_VERSION,
    benchmark_document,
    write_benchmark_json,
    write_csv,
)
from bakeoff.report.views import ReportData
from bakeoff.results import load
from bakeoff.results.summary import TOTAL

# The store-writing helper lives with the model tests; imported by name because the test
# folders are not packages.
write_run: Callable[..., Path] = importlib.import_module("test_report_model").write_run

STATS = (
    "min",
    "max",
    "mean",
    "stddev",
    "rounds",
    "median",
    "iqr",
    "q1",
    "q3",
    "iqr_outliers",
    "stddev_outliers",
    "outliers",
    "ld15iqr",
    "hd15iqr",
    "ops",
    "total",
    "iterations",
)


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return write_run(tmp_path / "results", run_id="exp", repetitions=2)


@pytest.fixture
def report(run_dir: Path) -> ReportData:
    return build_report(run_dir)


def test_csv_holds_the_summary_rows(report: ReportData, tmp_path: Path) -> None:
    path = write_csv(report, tmp_path / "summary.csv")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == list(CSV_COLUMNS)
    kind = report.workloads[0].primary
    assert len(rows) == len(kind.rows) == 6
    for line, row in zip(rows, kind.rows, strict=True):
        assert (line["operation"], line["engine"]) == (row.operation, row.engine)
        assert line["workload"] == "mix" and line["latency_kind"] == "service"
        assert float(line["ops_per_s"]) == row.ops_per_s
        assert float(line["ops_low"]) == row.ops_low
        assert float(line["p999_us"]) == row.p999_us
        assert float(line["max_us"]) == row.max_us
        assert int(line["errors"]) == row.errors
        assert int(line["trials"]) == 2
        assert line["ops_spread"] == "range of 2 trials"
    assert rows[0]["engine_versions"] == "FastDB 3.1"


def test_csv_of_one_repetition_says_its_spread_is_one_trial(tmp_path: Path) -> None:
    report = build_report(write_run(tmp_path, run_id="one", repetitions=1))
    path = write_csv(report, tmp_path / "s.csv")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert all(r["ops_spread"] == "range of 1 trial" and r["ops_cv"] == "0.0" for r in rows)
    assert all(r["ops_low"] == r["ops_per_s"] == r["ops_high"] != "" for r in rows)


def test_benchmark_document_layout(report: ReportData, run_dir: Path) -> None:
    document = benchmark_document(report)
    assert set(document) >= {"machine_info", "commit_info", "benchmarks", "datetime", "version"}
    assert document["version"] == PYTEST_BENCHMARK_VERSION
    benchmarks = document["benchmarks"]
    assert isinstance(benchmarks, list) and len(benchmarks) == 6
    names = {b["fullname"] for b in benchmarks}
    assert len(names) == 6 and "mix::read[fastdb]" in names
    samples = load(run_dir)
    measured = samples[samples["phase"] == "measure"]
    for bench in benchmarks:
        assert set(bench) >= {"group", "name", "fullname", "params", "stats", "extra_info"}
        stats = bench["stats"]
        assert set(stats) >= set(STATS)
        params = bench["params"]
        rows = measured[measured["engine"] == params["engine"]]
        if params["operation"] != TOTAL:
            rows = rows[rows["operation"] == params["operation"]]
        reference = merge_encoded(s for s in rows["histogram"] if s)
        # Seconds, from the merged histogram of every trial.
        assert stats["rounds"] == reference.total_count
        assert stats["median"] == pytest.approx(reference.get_value_at_percentile(50) / 1e9)
        assert stats["q3"] == pytest.approx(reference.get_value_at_percentile(75) / 1e9)
        assert stats["max"] == pytest.approx(reference.get_max_value() / 1e9, rel=1e-12)
        assert stats["mean"] == pytest.approx(reference.get_mean_value() / 1e9, rel=1e-9)
        assert stats["min"] <= stats["q1"] <= stats["median"] <= stats["q3"] <= stats["max"]
        assert stats["ld15iqr"] >= stats["min"] and stats["hd15iqr"] <= stats["max"]
        assert stats["iqr"] == pytest.approx(stats["q3"] - stats["q1"])
        assert stats["outliers"] == f"{stats['stddev_outliers']};{stats['iqr_outliers']}"
        assert stats["total"] == pytest.approx(stats["mean"] * stats["rounds"])
        assert stats["iterations"] == 1
        # ops is the measured throughput, not 1 / mean.
        row = next(
            r
            for r in report.workloads[0].primary.rows
            if (r.engine, r.operation) == (params["engine"], params["operation"])
        )
        assert stats["ops"] == row.ops_per_s
        assert bench["extra_info"]["trials"] == 2
        assert bench["group"] == f"mix {params['operation']}"
    commit = document["commit_info"]
    assert isinstance(commit, dict) and {"id", "dirty", "project", "branch"} <= set(commit)


def test_benchmark_json_is_strict_json(report: ReportData, tmp_path: Path) -> None:
    path = write_benchmark_json(report, tmp_path / "b.json")

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in JSON")

    document = json.loads(path.read_text(), parse_constant=refuse)
    for bench in document["benchmarks"]:
        for value in bench["stats"].values():
            assert not isinstance(value, float) or math.isfinite(value)


def pytest_benchmark_cli() -> list[str]:
    beside = Path(sys.executable).with_name("pytest-benchmark")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("pytest-benchmark")
    if found is None:
        pytest.skip("pytest-benchmark (the dev extra) is not installed")
    return [found]


def test_pytest_benchmark_compare_reads_the_export(report: ReportData, tmp_path: Path) -> None:
    path = write_benchmark_json(report, tmp_path / "0001_bakeoff.json")
    done = subprocess.run(
        [
            *pytest_benchmark_cli(),
            "compare",
            str(path),
            "--columns=min,max,mean,median,ops,rounds",
            "--csv",
            str(tmp_path / "compare"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Failed to load" not in done.stdout + done.stderr
    for name in ("read[fastdb]", "update[slowdb]", "TOTAL[fastdb]"):
        assert name in done.stdout
    assert "benchmark 'mix read': 2 tests" in done.stdout
    # The CSV pytest-benchmark writes from our file carries our numbers.
    (written,) = tmp_path.glob("compare*.csv")
    with open(written, newline="") as f:
        rows = {r["name"]: r for r in csv.DictReader(f)}
    document = json.loads(path.read_text())
    for bench in document["benchmarks"]:
        assert float(rows[bench["fullname"]]["median"]) == pytest.approx(bench["stats"]["median"])
