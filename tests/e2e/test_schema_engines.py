"""The shipped schema workloads on all seven engines in one run, each under its default
data model and PostgreSQL and FerretDB under a second one beside it, with every engine's
answers agreeing (issue 12's bar, scaled down for CI: a few hundred rows and operations).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import require_docker
from tests.e2e.cli_process import RunningBakeoff

pytestmark = [pytest.mark.docker, pytest.mark.slow]

ENGINES = ("sqlite", "duckdb", "postgres", "mariadb", "redis", "cassandra", "ferretdb")
SECOND_MODELS = {"postgres": "jsonb", "ferretdb": "referenced"}


def test_orders_and_timeseries_agree_on_seven_engines_and_two_models(tmp_path: Path) -> None:
    require_docker()
    args = ["run", "orders", "timeseries", "--records", "400", "--operations", "400"]
    for engine in ENGINES:
        args += ["--engine", engine]
    for engine, second in SECOND_MODELS.items():
        default = "normalised" if engine == "postgres" else "embedded"
        args += ["--model", f"{engine}={default}", "--model", f"{engine}={second}"]
    run = RunningBakeoff(*args, "--reuse", "--output", "out", cwd=tmp_path)
    code = run.proc.wait(timeout=1500)
    assert code == 0, run.stderr[-4000:]
    (folder,) = (tmp_path / "out").iterdir()
    manifest = json.loads((folder / "manifest.json").read_text())
    trials = manifest["trials"]
    labels = {(t["workload"], t["engine"]) for t in trials}
    assert len(trials) == 2 * (len(ENGINES) + len(SECOND_MODELS)) == len(labels)
    assert ("orders", "postgres/jsonb") in labels and ("orders", "ferretdb/referenced") in labels
    for workload in ("orders", "timeseries"):
        mine = [t for t in trials if t["workload"] == workload]
        sums = {json.dumps(t["verify"]["answers_after_load"]["checksums"]) for t in mine}
        assert len(sums) == 1, f"{workload}: the engines' answers differ"
        assert all(t["status"] == "ok" and t["verify"]["ok"] for t in mine)
