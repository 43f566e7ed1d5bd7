from __future__ import annotations

import builtins
import importlib
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bakeoff.gate import history
from bakeoff.gate.commands import app
from bakeoff.gate.regress import (
    INSTALL_HINT,
    RegressError,
    RegressOptions,
    change_points,
    describe,
    detect,
)

write_synthetic_run: Callable[..., Path] = importlib.import_module(
    "test_compare"
).write_synthetic_run

NIGHT = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)
STEADY = 12


def sha(night: int) -> str:
    return f"{night:02d}" * 20


def build_history(
    root: Path, scales: Sequence[float], versions: Sequence[str] | None = None
) -> Path:
    """One run a night; `scales[i]` is night i's latency level (1.2 = 20 % slower)."""
    store = root / "history"
    for night, scale in enumerate(scales):
        run = write_synthetic_run(
            root / "results",
            run_id=f"night-{night:02d}",
            scale=scale,
            noise=0.01,
            trials=3,
            seed=night,
            ops=1_000,
            engine_version=versions[night] if versions else "SQLite 3.45.1",
            started_at=NIGHT + timedelta(days=night),
        )
        history.add_run(store, run, git_sha=sha(night))
    return store


def test_otava_finds_a_shift() -> None:
    steady = [100.0, 101.0, 99.0, 100.5, 99.5, 100.2, 99.8, 100.1]
    values = [*steady, 80.0, 80.5, 79.5, 80.2]
    found = change_points(values, max_pvalue=0.001, threshold=0.05, window=50)
    assert [index for index, *_ in found] == [8]
    _, mean_before, mean_after, p_value = found[0]
    assert mean_before == pytest.approx(100.0, abs=0.5)
    assert mean_after == pytest.approx(80.0, abs=0.5)
    assert p_value < 0.001


def test_a_regression_in_the_newest_run_fails(tmp_path: Path) -> None:
    store = build_history(tmp_path, [1.0] * STEADY + [1.2])

    report = detect(store)

    assert report.exit_code == 1
    failing = {(c.operation, c.metric) for c in report.failing}
    assert ("TOTAL", "throughput") in failing
    cp = next(c for c in report.failing if c.operation == "TOTAL" and c.metric == "throughput")
    assert cp.index == STEADY
    assert cp.points == STEADY + 1
    assert cp.change == pytest.approx(1 / 1.2 - 1, abs=0.02)
    assert (cp.previous_git_sha, cp.git_sha) == (sha(STEADY - 1), sha(STEADY))
    assert (cp.previous_run_id, cp.run_id) == (f"night-{STEADY - 1:02d}", f"night-{STEADY:02d}")
    assert cp.regression and cp.newest
    line = describe(cp)
    assert "regression" in line
    assert f"between {sha(STEADY - 1)[:10]} and {sha(STEADY)[:10]}" in line


def test_a_steady_history_passes(tmp_path: Path) -> None:
    store = build_history(tmp_path, [1.0] * (STEADY + 1))

    report = detect(store)

    assert report.exit_code == 0
    assert report.change_points == []
    assert all(s.analysed for s in report.series)
    # read, update, TOTAL × the default metrics (throughput, p50, p99)
    assert len(report.series) == 9


def test_an_older_regression_is_reported_but_does_not_fail(tmp_path: Path) -> None:
    store = build_history(tmp_path, [1.0] * 8 + [1.25] * 8)

    report = detect(store)

    assert report.exit_code == 0
    regressions = [c for c in report.change_points if c.regression]
    assert regressions
    assert {c.index for c in regressions} == {8}
    assert not any(c.newest for c in regressions)
    # --newest widens the window of runs that fail the check.
    assert detect(store, RegressOptions(newest=8)).exit_code == 1


def test_an_improvement_does_not_fail(tmp_path: Path) -> None:
    store = build_history(tmp_path, [1.0] * STEADY + [0.8])

    report = detect(store)

    assert report.exit_code == 0
    newest = [c for c in report.change_points if c.newest]
    assert newest
    assert not any(c.regression for c in newest)


def test_an_engine_upgrade_is_named_at_its_change_point(tmp_path: Path) -> None:
    versions = ["SQLite 3.45.1"] * STEADY + ["SQLite 3.46.0"]
    store = build_history(tmp_path, [1.0] * STEADY + [1.2], versions)

    report = detect(store)

    cp = report.failing[0]
    assert (cp.previous_engine_version, cp.engine_version) == ("SQLite 3.45.1", "SQLite 3.46.0")
    assert "engine SQLite 3.45.1 → SQLite 3.46.0" in describe(cp)


def test_short_series_are_listed_not_analysed(tmp_path: Path) -> None:
    store = build_history(tmp_path, [1.0, 1.0, 1.5])

    report = detect(store)

    assert report.exit_code == 0
    assert not any(s.analysed for s in report.series)
    assert "fewer than 4 runs" in report.notes[0]


def test_options_are_checked() -> None:
    with pytest.raises(RegressError, match="unknown metric"):
        RegressOptions(metrics=("p42",))
    with pytest.raises(RegressError, match="newest"):
        RegressOptions(newest=0)


def test_a_missing_history_is_a_regress_error(tmp_path: Path) -> None:
    with pytest.raises(RegressError, match="not a bakeoff history"):
        detect(tmp_path)


def test_without_otava_the_error_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_import = builtins.__import__

    def no_otava(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "otava" or name.startswith("otava."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_otava)
    with pytest.raises(RegressError) as caught:
        detect(tmp_path)
    assert str(caught.value) == INSTALL_HINT


# -- the command -------------------------------------------------------------------------

runner = CliRunner()


def test_cli_regress_exit_codes_and_outputs(tmp_path: Path) -> None:
    failing = build_history(tmp_path / "bad", [1.0] * STEADY + [1.2])
    passing = build_history(tmp_path / "good", [1.0] * (STEADY + 1))
    markdown = tmp_path / "regress.md"

    bad = runner.invoke(app, ["regress", str(failing), "--markdown", str(markdown)])
    good = runner.invoke(app, ["regress", str(passing)])
    as_json = runner.invoke(app, ["regress", str(failing), "--format", "json"])

    assert bad.exit_code == 1, bad.output
    assert "FAIL sqlite/ycsb-a/TOTAL throughput: regression" in bad.output
    assert "REGRESSION starts in the newest run" in bad.output
    assert markdown.read_text(encoding="utf-8").startswith("### bakeoff regress: REGRESSION")
    assert good.exit_code == 0, good.output
    assert "no regression" in good.output
    document = json.loads(as_json.output)
    assert document["exit_code"] == 1
    assert any(c["newest"] and c["regression"] for c in document["change_points"])


def test_cli_regress_usage_errors(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["regress", str(tmp_path)])
    bad_metric = runner.invoke(app, ["regress", str(tmp_path), "--metric", "speed"])

    assert missing.exit_code == 2
    assert "not a bakeoff history" in missing.output
    assert bad_metric.exit_code == 2
    assert "--metric speed" in bad_metric.output
