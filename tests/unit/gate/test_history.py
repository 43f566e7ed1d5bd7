from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bakeoff.gate import history
from bakeoff.gate.commands import app
from bakeoff.gate.compare import compare_paths
from bakeoff.results.schema import MANIFEST_FILE, SAMPLES_FILE

# The run-writing helper lives with the compare tests; imported by name because the test
# folders are not packages.
write_synthetic_run: Callable[..., Path] = importlib.import_module(
    "test_compare"
).write_synthetic_run

DAY = timedelta(days=1)
NIGHT = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_ci_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_SHA", raising=False)


def test_add_lays_out_the_store(tmp_path: Path) -> None:
    run = write_synthetic_run(tmp_path / "results", run_id="night-1", trials=3)
    store = tmp_path / "history"

    added = history.add_run(store, run, git_sha="a" * 40, label="nightly")

    assert history.is_history(store)
    marker = json.loads((store / history.MARKER).read_text(encoding="utf-8"))
    assert marker == {"format": "bakeoff-history", "version": 1}
    assert (store / "points" / "night-1.parquet").is_file()
    assert (store / "runs" / "night-1" / MANIFEST_FILE).is_file()
    assert (store / "runs" / "night-1" / SAMPLES_FILE).is_file()
    assert added.points == 3 * 3  # trials × (read, update, TOTAL)
    assert (added.git_sha, added.git_sha_source) == ("a" * 40, "option")

    points = history.points(store)
    assert list(points.columns) == list(history.POINT_COLUMNS)
    assert set(points["git_sha"]) == {"a" * 40}
    assert set(points["label"]) == {"nightly"}
    assert set(points["engine_version"]) == {"SQLite 3.45.1"}
    assert points["workload_hash"].str.len().min() == 64
    assert set(points["host_fingerprint"]) == {added.host_fingerprint}


def test_a_run_is_added_once(tmp_path: Path) -> None:
    run = write_synthetic_run(tmp_path / "results", run_id="night-1", trials=2)
    history.add_run(tmp_path / "h", run, git_sha="abc")

    with pytest.raises(history.HistoryError, match="already"):
        history.add_run(tmp_path / "h", run, git_sha="abc")


def test_failed_trials_stay_out(tmp_path: Path) -> None:
    run = write_synthetic_run(tmp_path / "results", run_id="night-1", trials=4, failed=[1])

    history.add_run(tmp_path / "h", run, git_sha="abc")

    assert sorted(set(history.points(tmp_path / "h")["trial"])) == [0, 2, 3]


def test_git_sha_comes_from_github_actions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_SHA", "f" * 40)
    run = write_synthetic_run(tmp_path / "results", run_id="night-1", trials=2)

    added = history.add_run(tmp_path / "h", run)

    assert (added.git_sha, added.git_sha_source) == ("f" * 40, "GITHUB_SHA")


def test_git_sha_falls_back_to_the_working_directory_or_bakeoff(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # not a git work tree
    manifest = {"bakeoff": {"git_sha": "b" * 40}}

    assert history.resolve_git_sha(manifest) == ("b" * 40, "bakeoff")
    assert history.resolve_git_sha({}) == (None, "unknown")
    assert history.resolve_git_sha(manifest, "c" * 7) == ("c" * 7, "option")


def test_host_fingerprint_ignores_memory_jitter_but_not_cores() -> None:
    memory = 25_276_510_208
    host: dict[str, object] = {
        "cpu_model": "AMD EPYC",
        "logical_cores": 2,
        "memory_bytes": memory,
        "os": "Linux",
        "machine": "x86_64",
        "kernel": "6.1",
    }
    same = {**host, "memory_bytes": memory + 8 * 2**20, "kernel": "6.2"}
    bigger = {**host, "logical_cores": 4}

    assert history.host_fingerprint(host) == history.host_fingerprint(same)
    assert history.host_fingerprint(host) != history.host_fingerprint(bigger)
    assert len(history.host_fingerprint(host)) == 16


def test_list_and_query(tmp_path: Path) -> None:
    store = tmp_path / "h"
    for night in range(3):
        run = write_synthetic_run(
            tmp_path / "results",
            run_id=f"night-{night}",
            trials=2,
            seed=night,
            started_at=NIGHT + night * DAY,
        )
        history.add_run(store, run, git_sha=f"{night}" * 40)

    runs = history.list_runs(store)
    counts = history.query(
        store, "SELECT engine, count(DISTINCT run_id) AS runs FROM points GROUP BY engine"
    )

    assert list(runs["run_id"]) == ["night-0", "night-1", "night-2"]
    assert list(runs["trials"]) == [2, 2, 2]
    assert runs["git_sha"].iloc[-1] == "2" * 40
    assert counts.to_dict("records") == [{"engine": "sqlite", "runs": 3}]


def test_the_newest_run_is_the_baseline_of_a_compare(tmp_path: Path) -> None:
    store = tmp_path / "h"
    old = write_synthetic_run(
        tmp_path / "results", run_id="old", seed=1, scale=2.0, started_at=NIGHT
    )
    new = write_synthetic_run(tmp_path / "results", run_id="new", seed=2, started_at=NIGHT + DAY)
    cand = write_synthetic_run(
        tmp_path / "cand", run_id="cand", seed=3, scale=1.2, started_at=NIGHT + 2 * DAY
    )
    for run in (old, new, cand):
        history.add_run(store, run, git_sha="x")

    baseline = history.latest_trial_metrics(store, exclude_runs={"cand"})
    comparison = compare_paths(store, cand)

    assert set(baseline["run_id"]) == {"new"}
    # Against "new" the candidate is 20 % slower; against the older, slower "old" it
    # would have looked faster.
    assert comparison.exit_code == 1


def test_errors(tmp_path: Path) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(history.HistoryError, match="not a bakeoff history"):
        history.init(tmp_path / "busy")
    with pytest.raises(history.HistoryError, match="not a finished bakeoff run"):
        history.add_run(tmp_path / "h", tmp_path / "busy")
    with pytest.raises(history.HistoryError, match="not a bakeoff history"):
        history.points(tmp_path / "nothing")
    run = write_synthetic_run(tmp_path / "results", run_id="r", trials=2)
    with pytest.raises(history.HistoryError, match="not a bakeoff history"):
        history.add_run(tmp_path / "nothing", run, create=False)


# -- the commands ------------------------------------------------------------------------

runner = CliRunner()


def test_cli_add_and_list(tmp_path: Path) -> None:
    store = tmp_path / "h"
    runs = [
        write_synthetic_run(tmp_path / "results", run_id=f"n{i}", trials=2, seed=i)
        for i in range(2)
    ]

    added = runner.invoke(
        app, ["history", "add", *map(str, runs), "--history", str(store), "--git-sha", "d" * 40]
    )
    listed = runner.invoke(app, ["history", "list", "--history", str(store)])
    as_json = runner.invoke(app, ["history", "list", "--history", str(store), "--format", "json"])

    assert added.exit_code == 0, added.output
    assert "added n0" in added.output
    assert "commit dddddddddddd (from option)" in added.output
    assert listed.exit_code == 0, listed.output
    assert "n0" in listed.output
    assert "n1" in listed.output
    assert [r["run_id"] for r in json.loads(as_json.output)] == ["n0", "n1"]


def test_cli_history_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAKEOFF_HISTORY", str(tmp_path / "h"))
    run = write_synthetic_run(tmp_path / "results", run_id="n0", trials=2)

    result = runner.invoke(app, ["history", "add", str(run), "--git-sha", "e" * 40])

    assert result.exit_code == 0, result.output
    assert history.is_history(tmp_path / "h")


def test_cli_usage_errors(tmp_path: Path) -> None:
    missing = runner.invoke(
        app, ["history", "add", str(tmp_path / "nope"), "--history", str(tmp_path / "h")]
    )
    not_history = runner.invoke(app, ["history", "list", "--history", str(tmp_path)])

    assert missing.exit_code == 2
    assert "not a finished bakeoff run directory" in missing.output
    assert not_history.exit_code == 2
    assert "not a bakeoff history" in not_history.output


def _move_to_another_host(run: Path) -> Path:
    manifest_file = run / MANIFEST_FILE
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    manifest["host"]["logical_cores"] = 64
    manifest_file.write_text(json.dumps(manifest), encoding="utf-8")
    return run


def test_the_baseline_comes_from_the_candidates_host(tmp_path: Path) -> None:
    store = tmp_path / "h"
    here = write_synthetic_run(tmp_path / "results", run_id="here", seed=1, started_at=NIGHT)
    there = _move_to_another_host(
        write_synthetic_run(
            tmp_path / "results", run_id="there", seed=2, scale=0.5, started_at=NIGHT + DAY
        )
    )
    cand = write_synthetic_run(tmp_path / "cand", run_id="cand", seed=3, started_at=NIGHT + 2 * DAY)
    for run in (here, there):
        history.add_run(store, run, git_sha="x")

    comparison = compare_paths(store, cand)

    # "there" is newer and twice as fast, but from a 64-core machine: not a baseline.
    assert comparison.exit_code == 0
    assert "baseline from the history: run here" in comparison.notes


def test_a_baseline_from_another_host_is_said_out_loud(tmp_path: Path) -> None:
    store = tmp_path / "h"
    there = _move_to_another_host(
        write_synthetic_run(tmp_path / "results", run_id="there", seed=2, started_at=NIGHT)
    )
    cand = write_synthetic_run(tmp_path / "cand", run_id="cand", seed=3)
    history.add_run(store, there, git_sha="x")

    comparison = compare_paths(store, cand)

    assert any("another machine" in note for note in comparison.notes)
