from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from bakeoff.api import run_benchmark
from bakeoff.core.histogram import new_histogram, record_bulk
from bakeoff.core.measures import IntervalRow, LatencyKind, Phase
from bakeoff.gate.command_options import parse_fraction
from bakeoff.gate.commands import app
from bakeoff.gate.compare import compare_metrics, compare_paths
from bakeoff.gate.comparison import CompareOptions, Verdict
from bakeoff.gate.metrics import METRICS, CompareError, load_trial_metrics
from bakeoff.harness.trial import TrialRecord
from bakeoff.results.schema import MANIFEST_FILE
from bakeoff.results.summary import TOTAL
from bakeoff.results.writer import RunWriter
from bakeoff.workloads.model import OperationMix, Workload

WORKLOAD = Workload(name="ycsb-a", operations=OperationMix(read=0.5, update=0.5))
BASE_NS = {"read": 20_000.0, "update": 35_000.0}
START = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


def _rows(rng: np.random.Generator, factor: float, ops: int, intervals: int) -> list[IntervalRow]:
    """Closed-loop intervals: each operation's latencies, and intervals as long as the
    calls in them took, so throughput moves with latency as it does for one worker."""
    rows: list[IntervalRow] = []
    start = 0.0
    for interval in range(intervals):
        samples = {
            op: np.maximum(rng.lognormal(np.log(base * factor), 0.25, ops), 1).astype(np.int64)
            for op, base in BASE_NS.items()
        }
        duration = float(sum(int(s.sum()) for s in samples.values())) / 1e9
        for op, values in samples.items():
            hist = new_histogram()
            record_bulk(hist, values)
            rows.append(
                IntervalRow(
                    phase=Phase.MEASURE,
                    operation=op,
                    latency_kind=LatencyKind.SERVICE,
                    interval=interval,
                    start_s=start,
                    duration_s=duration,
                    count=len(values),
                    not_found=0,
                    errors_transient=0,
                    errors_fatal=0,
                    errors_unsupported=0,
                    histogram=hist.encode().decode("ascii"),
                )
            )
        start += duration
    return rows


def write_synthetic_run(
    folder: Path,
    *,
    run_id: str,
    scale: float = 1.0,
    noise: float = 0.01,
    trials: int = 5,
    seed: int = 0,
    engine: str = "sqlite",
    engine_version: str = "SQLite 3.45.1",
    workload: Workload = WORKLOAD,
    ops: int = 2_000,
    intervals: int = 2,
    failed: Sequence[int] = (),
    started_at: datetime | None = None,
) -> Path:
    """A finished run whose latencies are `scale` × the base, each trial's own level
    drawn with relative spread `noise`, recorded in real HdrHistograms."""
    rng = np.random.default_rng(seed)
    writer = RunWriter(folder, run_id=run_id, options={"repeat": trials})
    begin = started_at or START
    for trial in range(trials):
        factor = scale * (1.0 + noise * float(rng.standard_normal()))
        status = "failed" if trial in failed else "ok"
        writer.add_trial(
            TrialRecord(
                trial=trial,
                repetition=trial,
                engine=engine,
                engine_version=engine_version,
                workload=workload,
                endpoint_display_url="sqlite:///bench.sqlite3",
                settings={},
                provenance={},
                adapter="sql",
                connections=1,
                seed=1,
                started_at=begin + timedelta(seconds=trial),
                ended_at=begin + timedelta(seconds=trial + 1),
                status=status,
                error="disk full" if status == "failed" else None,
                verify={},
                # A failed trial measured garbage: far slower than anything else.
                rows=_rows(rng, factor * (10.0 if status == "failed" else 1.0), ops, intervals),
            )
        )
    path = writer.finish("partial" if failed else "ok")
    if started_at is not None:
        manifest_file = path / MANIFEST_FILE
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
        manifest["started_at"] = started_at.isoformat().replace("+00:00", "Z")
        manifest_file.write_text(json.dumps(manifest), encoding="utf-8")
    return path


def _verdicts(comparison_rows: Sequence[object], metric: str) -> set[Verdict]:
    return {r.verdict for r in comparison_rows if r.metric == metric}  # type: ignore[attr-defined]


def test_a_candidate_20_percent_slower_regresses(tmp_path: Path) -> None:
    base = write_synthetic_run(tmp_path / "base", run_id="base", seed=1)
    cand = write_synthetic_run(tmp_path / "cand", run_id="cand", seed=2, scale=1.2)

    comparison = compare_paths(base, cand)

    assert comparison.exit_code == 1
    keys = {(r.operation, r.metric) for r in comparison.regressions}
    for op in ("read", "update", TOTAL):
        assert (op, "throughput") in keys
        assert (op, "p50") in keys
    throughput = next(
        r for r in comparison.rows if r.operation == TOTAL and r.metric == "throughput"
    )
    assert throughput.ratio == pytest.approx(1 / 1.2, rel=0.03)
    assert throughput.ci_low < throughput.ratio < throughput.ci_high < 0.95
    assert throughput.p_value == pytest.approx(2 / 252)
    assert (throughput.baseline_n, throughput.candidate_n) == (5, 5)
    assert throughput.higher_is_better
    p50 = next(r for r in comparison.rows if r.operation == "read" and r.metric == "p50")
    assert p50.change == pytest.approx(0.2, abs=0.03)
    assert "+" in p50.reason


def test_a_and_a_do_not_regress(tmp_path: Path) -> None:
    base = write_synthetic_run(tmp_path / "base", run_id="base", seed=1)
    cand = write_synthetic_run(tmp_path / "cand", run_id="cand", seed=2)

    comparison = compare_paths(base, cand)

    assert comparison.exit_code == 0
    assert not comparison.regressions
    assert _verdicts(comparison.rows, "throughput") == {Verdict.UNCHANGED}
    assert _verdicts(comparison.rows, "p50") == {Verdict.UNCHANGED}
    assert len(comparison.rows) == 3 * len(METRICS)


def test_a_faster_candidate_improves_and_passes(tmp_path: Path) -> None:
    base = write_synthetic_run(tmp_path / "base", run_id="base", seed=1)
    cand = write_synthetic_run(tmp_path / "cand", run_id="cand", seed=2, scale=0.8)

    comparison = compare_paths(base, cand)

    assert comparison.exit_code == 0
    assert _verdicts(comparison.rows, "throughput") == {Verdict.IMPROVED}
    assert _verdicts(comparison.rows, "p50") == {Verdict.IMPROVED}


def test_noisy_trials_are_unstable_not_judged(tmp_path: Path) -> None:
    base = write_synthetic_run(tmp_path / "base", run_id="base", seed=1, noise=0.3)
    cand = write_synthetic_run(tmp_path / "cand", run_id="cand", seed=2, noise=0.3, scale=1.3)

    comparison = compare_paths(base, cand)

    assert _verdicts(comparison.rows, "throughput") == {Verdict.UNSTABLE}
    assert comparison.exit_code == 0
    row = next(r for r in comparison.rows if r.metric == "throughput")
    assert "CV" in row.reason
    assert max(row.baseline_cv, row.candidate_cv) > 0.10


def test_a_small_significant_change_is_below_the_threshold(tmp_path: Path) -> None:
    base = write_synthetic_run(tmp_path / "base", run_id="base", seed=1, noise=0.002)
    cand = write_synthetic_run(tmp_path / "cand", run_id="cand", seed=2, noise=0.002, scale=1.02)

    strict = compare_paths(base, cand, CompareOptions(threshold=0.01))
    default = compare_paths(base, cand)

    assert strict.exit_code == 1
    assert default.exit_code == 0
    row = next(r for r in default.rows if r.operation == TOTAL and r.metric == "throughput")
    assert row.verdict is Verdict.UNCHANGED
    assert "below the 5% threshold" in row.reason


def test_three_trials_a_side_are_inconclusive(tmp_path: Path) -> None:
    base = write_synthetic_run(tmp_path / "base", run_id="base", seed=1, trials=3)
    cand = write_synthetic_run(tmp_path / "cand", run_id="cand", seed=2, trials=3, scale=1.5)

    comparison = compare_paths(base, cand)

    assert {r.verdict for r in comparison.rows} == {Verdict.INCONCLUSIVE}
    assert comparison.exit_code == 0
    assert "at least 4" in comparison.rows[0].reason


def test_failed_trials_are_left_out(tmp_path: Path) -> None:
    base = write_synthetic_run(tmp_path / "base", run_id="base", seed=1, trials=6, failed=[2])
    cand = write_synthetic_run(tmp_path / "cand", run_id="cand", seed=2)

    metrics = load_trial_metrics(base)
    comparison = compare_paths(base, cand)

    assert sorted(set(metrics["trial"])) == [0, 1, 3, 4, 5]
    assert comparison.rows[0].baseline_n == 5
    assert comparison.exit_code == 0


def test_a_results_folder_pools_the_trials_of_its_runs(tmp_path: Path) -> None:
    for i in range(2):
        write_synthetic_run(tmp_path / "base", run_id=f"base-{i}", seed=i, trials=3)
    cand = write_synthetic_run(tmp_path / "cand", run_id="cand", seed=9, scale=1.2)

    comparison = compare_paths(tmp_path / "base", cand)

    assert comparison.rows[0].baseline_n == 6
    assert comparison.exit_code == 1


def test_no_common_rows_is_a_usage_error(tmp_path: Path) -> None:
    base = write_synthetic_run(tmp_path / "base", run_id="base", engine="duckdb")
    cand = write_synthetic_run(tmp_path / "cand", run_id="cand")

    with pytest.raises(CompareError, match="no engine × workload × operation in common"):
        compare_paths(base, cand)


def test_rows_on_one_side_and_changed_specs_are_noted(tmp_path: Path) -> None:
    base = write_synthetic_run(tmp_path / "base", run_id="base-s", seed=1)
    write_synthetic_run(tmp_path / "base", run_id="base-d", seed=1, engine="duckdb")
    changed = WORKLOAD.with_overrides(records=5_000)
    cand = write_synthetic_run(tmp_path / "cand", run_id="cand", seed=2, workload=changed)

    comparison = compare_paths(tmp_path / "base", cand)

    assert {r.engine for r in comparison.rows} == {"sqlite"}
    notes = "\n".join(comparison.notes)
    assert "only in the baseline, not compared: duckdb/ycsb-a" in notes
    assert "the workload spec differs" in notes
    assert base.exists()


def test_options_are_checked() -> None:
    with pytest.raises(CompareError, match="unknown metric"):
        CompareOptions(metrics=("p42",))
    with pytest.raises(CompareError, match="threshold"):
        CompareOptions(threshold=1.5)


def test_one_metric_only(tmp_path: Path) -> None:
    base = write_synthetic_run(tmp_path / "base", run_id="base", seed=1)
    cand = write_synthetic_run(tmp_path / "cand", run_id="cand", seed=2)
    metrics_b, metrics_c = load_trial_metrics(base), load_trial_metrics(cand)

    comparison = compare_metrics(metrics_b, metrics_c, CompareOptions(metrics=("p99",)))

    assert {r.metric for r in comparison.rows} == {"p99"}


def test_real_runs_on_sqlite_compare(tmp_path: Path) -> None:
    runs = [
        run_benchmark(
            ["ycsb-a"], ["sqlite"], output=tmp_path / name, repeat=4, records=200, operations=400
        ).path
        for name in ("a", "b")
    ]

    comparison = compare_paths(runs[0], runs[1])
    itself = compare_paths(runs[0], runs[0])

    assert {(r.operation, r.metric) for r in comparison.rows} == {
        (op, m) for op in ("read", "update", TOTAL) for m in METRICS
    }
    assert all(r.baseline_n == 4 and r.candidate_n == 4 for r in comparison.rows)
    assert itself.exit_code == 0
    assert all(r.p_value == 1.0 for r in itself.rows)


# -- the command -------------------------------------------------------------------------

runner = CliRunner()


def test_cli_exits_1_on_a_regression_and_writes_every_format(tmp_path: Path) -> None:
    base = write_synthetic_run(tmp_path / "base", run_id="base", seed=1)
    cand = write_synthetic_run(tmp_path / "cand", run_id="cand", seed=2, scale=1.2)
    markdown, json_file = tmp_path / "out" / "compare.md", tmp_path / "out" / "compare.json"

    result = runner.invoke(
        app,
        ["compare", str(base), str(cand), "--markdown", str(markdown), "--json", str(json_file)],
    )

    assert result.exit_code == 1, result.output
    assert "regressed" in result.output
    assert "REGRESSION" in result.output
    text = markdown.read_text(encoding="utf-8")
    assert text.startswith("### bakeoff compare: REGRESSION")
    assert "| sqlite | ycsb-a | TOTAL | throughput |" in text
    document = json.loads(json_file.read_text(encoding="utf-8"))
    assert document["exit_code"] == 1
    assert document["counts"]["regressed"] >= 6
    assert document["options"]["threshold"] == 0.05


def test_cli_exits_0_on_a_and_a(tmp_path: Path) -> None:
    base = write_synthetic_run(tmp_path / "base", run_id="base", seed=1)
    cand = write_synthetic_run(tmp_path / "cand", run_id="cand", seed=2)

    result = runner.invoke(app, ["compare", str(base), str(cand), "--format", "json"])

    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["exit_code"] == 0
    assert all(row["verdict"] != "regressed" for row in document["rows"])


def test_cli_threshold_and_metric_options(tmp_path: Path) -> None:
    base = write_synthetic_run(tmp_path / "base", run_id="base", seed=1)
    cand = write_synthetic_run(tmp_path / "cand", run_id="cand", seed=2, scale=1.2)

    result = runner.invoke(
        app,
        ["compare", str(base), str(cand), "--threshold", "30%", "--metric", "throughput,p50"],
    )

    assert result.exit_code == 0, result.output
    assert "p99" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["compare", "{tmp}/missing", "{tmp}/missing"], "no such run directory"),
        (["compare", "{tmp}", "{tmp}"], "not a bakeoff run directory"),
        (["compare", "{base}", "{base}", "--threshold", "lots"], "expected a percentage"),
        (["compare", "{base}", "{base}", "--metric", "p42"], "--metric p42"),
        (["compare", "{base}", "{base}", "--format", "xml"], "--format 'xml'"),
        (["compare", "{base}", "{duck}"], "in common"),
    ],
)
def test_cli_usage_errors_exit_2_with_one_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    base = write_synthetic_run(tmp_path / "runs", run_id="base", trials=2)
    duck = write_synthetic_run(tmp_path / "runs", run_id="duck", trials=2, engine="duckdb")
    empty = tmp_path / "empty"
    empty.mkdir()
    values = {"tmp": str(empty), "base": str(base), "duck": str(duck)}

    result = runner.invoke(app, [a.format(**values) for a in args])

    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("text", "expected"), [("5%", 0.05), ("0.05", 0.05), ("5", 0.05), ("12.5%", 0.125)]
)
def test_parse_fraction(text: str, expected: float) -> None:
    assert parse_fraction(text, "--threshold") == pytest.approx(expected)
