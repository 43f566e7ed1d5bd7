"""A plan change between runs of the same workload hash is reported beside the verdicts:
by `bakeoff compare` (run against run, and against a history) and `bakeoff history add`."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bakeoff.core.query_plans import AccessPath, Moment, QueryPlan
from bakeoff.gate import history
from bakeoff.gate.commands import app
from bakeoff.gate.compare import compare_paths
from bakeoff.results.query_plans import write_plans
from tests.unit.gate.test_compare import WORKLOAD, write_synthetic_run


def _with_plan(run: Path, path: AccessPath, index: str | None) -> Path:
    plans = [
        QueryPlan("read", "SELECT ...", path, "x", index=index, moment=m.value).to_json()
        for m in Moment
    ]
    entry = {
        "trial": 0,
        "repetition": 0,
        "engine": "sqlite",
        "workload": WORKLOAD.name,
        "workload_hash": WORKLOAD.spec_hash(),
        "plans": plans,
    }
    write_plans(run, [entry])
    return run


def _runs(tmp_path: Path, after: AccessPath) -> tuple[Path, Path]:
    base = write_synthetic_run(tmp_path / "base", run_id="base", seed=1, trials=2)
    cand = write_synthetic_run(tmp_path / "cand", run_id="cand", seed=2, trials=2)
    _with_plan(base, AccessPath.INDEX_LOOKUP, "pk")
    _with_plan(cand, after, "pk" if after is AccessPath.INDEX_LOOKUP else None)
    return base, cand


def test_compare_reports_a_plan_change_beside_the_verdicts(tmp_path: Path) -> None:
    base, cand = _runs(tmp_path, AccessPath.FULL_SCAN)

    comparison = compare_paths(base, cand)

    [change] = comparison.plan_changes
    assert (change.engine, change.shape) == ("sqlite", "read")
    assert (change.baseline, change.candidate) == ("index lookup (pk)", "full scan")
    assert (change.baseline_run, change.candidate_run) == ("base", "cand")
    assert "Query plans changed" in comparison.to_markdown()
    assert "1 query plan changed" in comparison.to_markdown()
    assert comparison.to_dict()["plan_changes"] == [change.to_dict()]


def test_the_same_plan_is_no_change(tmp_path: Path) -> None:
    base, cand = _runs(tmp_path, AccessPath.INDEX_LOOKUP)

    comparison = compare_paths(base, cand)

    assert comparison.plan_changes == []
    assert "Query plans changed" not in comparison.to_markdown()


def test_runs_without_plans_compare_as_before(tmp_path: Path) -> None:
    base = write_synthetic_run(tmp_path / "base", run_id="base", seed=1, trials=2)
    cand = write_synthetic_run(tmp_path / "cand", run_id="cand", seed=2, trials=2)

    assert compare_paths(base, cand).plan_changes == []


def test_the_command_prints_the_change(tmp_path: Path) -> None:
    base, cand = _runs(tmp_path, AccessPath.FULL_SCAN)

    result = CliRunner().invoke(app, ["compare", str(base), str(cand)])

    assert "PLAN CHANGE sqlite/ycsb-a read: plan changed from index lookup (pk)" in result.output
    assert "1 query plan changed" in result.output


def test_history_add_and_compare_against_a_history(tmp_path: Path) -> None:
    base, cand = _runs(tmp_path, AccessPath.FULL_SCAN)
    store = tmp_path / "history"

    first = history.add_run(store, base, git_sha="a" * 40)
    second = history.add_run(store, cand, git_sha="b" * 40)

    assert first.plan_changes == ()
    [change] = second.plan_changes
    assert change.candidate == "full scan"
    assert (store / history.RUNS_DIR / "base" / "plans.json").is_file()
    [from_history] = compare_paths(store, cand).plan_changes
    assert from_history.baseline_run == "base"
