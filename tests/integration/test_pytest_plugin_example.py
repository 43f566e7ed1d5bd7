"""The pytest plugin, used as a team would use it, against real engines.

The first two tests are the example: a regression benchmark written as a test, on SQLite
everywhere and on PostgreSQL in a container where Docker runs. The others run a small
project's test suite in a subprocess, as CI would, and check what it leaves behind: run
folders bakeoff reads, and a pytest-benchmark JSON file that `pytest-benchmark compare`
accepts.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from bakeoff.gate.comparison import Verdict
from bakeoff.pytest_plugin import BakeoffEngine, assert_no_regression
from bakeoff.results import load, summarize
from bakeoff.results.summary import TOTAL

pytest_plugins = ("pytester",)


# -- the example -------------------------------------------------------------------------


def test_sqlite_session_store(bakeoff_engine: Callable[..., BakeoffEngine]) -> None:
    result = bakeoff_engine("sqlite").run("ycsb-a", records=500, operations=2_000, repeat=4)

    summary = summarize(load(result.path))
    total = summary[summary["operation"] == TOTAL]
    assert len(total) == 4
    assert (total["ops_per_s"] > 0).all()
    # A run compared with itself: every judged row unchanged, so the gate stays shut.
    comparison = assert_no_regression(result.path, result.path)
    assert not comparison.regressions
    assert {r.verdict for r in comparison.rows} <= {Verdict.UNCHANGED, Verdict.UNSTABLE}


@pytest.fixture(scope="module")
def postgres_image() -> str:
    from bakeoff.engines.images import build_images

    built = [r for r in build_images(["postgres"]) if r.engine == "postgres"]
    return built[0].image


@pytest.mark.docker
def test_postgres_session_store(
    bakeoff_engine: Callable[..., BakeoffEngine], postgres_image: str
) -> None:
    engine = bakeoff_engine("postgres", image=postgres_image)
    result = engine.run("ycsb-a", records=200, operations=500, repeat=2)

    summary = summarize(load(result.path))
    total = summary[summary["operation"] == TOTAL]
    assert len(total) == 2
    assert (total["ops_per_s"] > 0).all()
    assert all(v.startswith("PostgreSQL") for v in total["engine_version"])


# -- the plugin in a project -------------------------------------------------------------

PROJECT_TESTS = """
from bakeoff.pytest_plugin import assert_no_regression


def test_speed(bakeoff_engine):
    engine = bakeoff_engine("sqlite", knobs={"synchronous": "off"})
    result = engine.run("ycsb-c", records=200, operations=1_000, repeat=2)
    assert result.ok


def test_two_workloads(bakeoff_engine):
    engine = bakeoff_engine("sqlite")
    engine.run("ycsb-a", records=200, operations=500)
    engine.run("ycsb-a", records=200, operations=500)


def test_unknown_engine(bakeoff_engine):
    bakeoff_engine("no-such-engine")
"""


def test_plugin_writes_runs_and_pytest_benchmark_json(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_project=PROJECT_TESTS)
    output = pytester.path / "bench-results"
    document_file = pytester.path / "bench.json"

    outcome = pytester.runpytest_subprocess(
        "--bakeoff-output", str(output), "--bakeoff-benchmark-json", str(document_file)
    )

    outcome.assert_outcomes(passed=2, failed=1)
    outcome.stdout.fnmatch_lines(["*no-such-engine*", "*bakeoff*", f"*{output}*"])
    runs = sorted(p for p in output.iterdir() if p.is_dir())
    assert len(runs) == 3
    frame = load(output)
    assert set(frame["engine"]) == {"sqlite"}
    assert set(frame["workload"]) == {"ycsb-c", "ycsb-a"}

    document = json.loads(document_file.read_text(encoding="utf-8"))
    names = {b["name"] for b in document["benchmarks"]}
    assert "test_speed::read[sqlite]" in names
    assert "test_speed::TOTAL[sqlite]" in names
    # The same workload twice in one test stays two benchmarks.
    assert "test_two_workloads::update[sqlite]" in names
    assert "test_two_workloads::update[sqlite]#2" in names
    speed = next(b for b in document["benchmarks"] if b["name"] == "test_speed::read[sqlite]")
    assert speed["fullname"].startswith("test_project.py::test_speed::")
    assert speed["extra_info"]["test"] == "test_project.py::test_speed"
    assert Path(speed["extra_info"]["run_dir"]).parent == output
    stats = speed["stats"]
    assert stats["rounds"] == 2_000  # 1,000 reads in each of two trials
    assert 0 < stats["min"] <= stats["median"] <= stats["max"] < 1.0
    assert stats["ops"] > 0

    # Two files: pytest-benchmark caches a loaded file and consumes it on first use.
    again = pytester.path / "bench-again.json"
    again.write_bytes(document_file.read_bytes())
    compared = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest_benchmark",
            "compare",
            str(document_file),
            str(again),
            "--group-by=name",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert compared.returncode == 0, compared.stderr
    assert "test_speed::read[sqlite]" in compared.stdout


def test_benchmark_json_written_without_runs(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    document_file = pytester.path / "empty.json"

    outcome = pytester.runpytest_subprocess("--bakeoff-benchmark-json", str(document_file))

    outcome.assert_outcomes(passed=1)
    document = json.loads(document_file.read_text(encoding="utf-8"))
    assert document["benchmarks"] == []


def test_assert_no_regression_fails_the_test(pytester: pytest.Pytester, tmp_path: Path) -> None:
    from bakeoff.api import run_benchmark

    fast = run_benchmark(["ycsb-c"], ["sqlite"], output=tmp_path, records=200, operations=500)
    pytester.makepyfile(
        test_gate=textwrap.dedent(
            f"""
            import bakeoff.pytest_plugin as plugin
            from bakeoff.gate.comparison import Comparison

            def test_gate(monkeypatch):
                def compare_paths(baseline, candidate, options):
                    from bakeoff.gate.compare import compare_metrics
                    from bakeoff.gate.metrics import load_trial_metrics
                    import pandas as pd
                    base = load_trial_metrics(baseline)
                    rows = []
                    for factor in (1.0, 1.01, 0.99, 1.02, 0.98):
                        row = base.iloc[[0]].copy()
                        rows.append(row.assign(ops_per_s=row["ops_per_s"] * factor))
                    base5 = pd.concat(rows, ignore_index=True)
                    slow = base5.assign(ops_per_s=base5["ops_per_s"] * 0.7)
                    return compare_metrics(base5, slow, options)
                monkeypatch.setattr(plugin, "compare_paths", compare_paths)
                plugin.assert_no_regression({str(fast.path)!r}, {str(fast.path)!r})
            """
        )
    )

    outcome = pytester.runpytest_subprocess()

    outcome.assert_outcomes(failed=1)
    outcome.stdout.fnmatch_lines(["*performance regression*", "*throughput*-30.0%*"])
