"""Schema workloads end to end on the dictstore plugin's in-process engine: one trial per
data model, answers compared across the run's trials, and refusals before anything
starts. (tests/e2e/test_schema_engines.py runs the shipped workloads on real engines.)"""

from __future__ import annotations

import json
from pathlib import Path

from tests.bakeoff_process import bakeoff_with

TTL_WORKLOAD = """\
name: sessions
entities:
  sessions:
    key: [session_id]
    rows: 10
    fields: {session_id: integer, user: text}
operations:
  touch: {kind: insert, entity: sessions, ttl_s: 60, share: 1}
operation_count: 10
"""


def manifest_of(output: Path) -> dict[str, object]:
    (run,) = [p for p in output.iterdir() if p.is_dir()]
    loaded: dict[str, object] = json.loads((run / "manifest.json").read_text())
    return loaded


def test_two_models_of_one_engine_and_a_broken_answer_fail_naming_the_query(
    tmp_path: Path,
) -> None:
    result = bakeoff_with(
        "dictstore",
        "run", "orders", "--engine", "dictstore",
        "--model", "dictstore=documents", "--model", "dictstore=lossy",
        "--operations", "300", "--output", "out",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "answers differ from dictstore/documents's on operation" in result.stderr
    trials = manifest_of(tmp_path / "out")["trials"]
    assert isinstance(trials, list)
    documents, lossy = trials
    assert documents["engine"] == "dictstore/documents" and documents["status"] == "ok"
    assert documents["data_model"]["name"] == "documents"
    assert documents["data_model"]["layout"]
    checksums = documents["verify"]["answers_after_load"]["checksums"]
    assert set(checksums) == {
        "get_order", "customer_orders", "orders_by_status", "revenue_per_day", "top_products"
    }  # fmt: skip
    assert lossy["engine"] == "dictstore/lossy" and lossy["status"] == "failed"
    difference = lossy["verify"]["first_difference"]
    assert difference["operation"] in ("customer_orders", "orders_by_status")
    assert difference["answer"] != difference["reference_answer"]
    assert difference["reference_engine"] == "dictstore/documents"
    report = bakeoff_with("dictstore", "report", "out", "--markdown", "r.md", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    page = (tmp_path / "r.md").read_text()
    section = page[page.index("### Data models and answers") :]
    assert "| orders | dictstore/documents |" in section
    assert "the reference (first trial of the workload)" in section
    assert "differ from dictstore/documents's on" in section


def test_an_operation_the_model_cannot_run_exits_2_before_anything_starts(
    tmp_path: Path,
) -> None:
    (tmp_path / "sessions.yaml").write_text(TTL_WORKLOAD)
    result = bakeoff_with(
        "dictstore", "run", "sessions.yaml", "--engine", "dictstore", "--output", "out",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    message = " ".join(result.stderr.split())
    assert "engine 'dictstore' under data model 'documents' cannot run operation 'touch'" in message
    assert not (tmp_path / "out").exists()


def test_a_model_that_does_not_exist_or_an_engine_not_in_the_run_exits_2(
    tmp_path: Path,
) -> None:
    unknown = bakeoff_with(
        "dictstore", "run", "orders", "--engine", "dictstore",
        "--model", "dictstore=columns", "--output", "out", cwd=tmp_path,
    )  # fmt: skip
    assert unknown.returncode == 2
    assert "no data model 'columns' (it has: documents, lossy)" in " ".join(unknown.stderr.split())
    stray = bakeoff_with(
        "dictstore", "run", "orders", "--engine", "dictstore",
        "--model", "sqlite=normalised", "--output", "out", cwd=tmp_path,
    )  # fmt: skip
    assert stray.returncode == 2
    assert "--model for sqlite, which is not in the run" in " ".join(stray.stderr.split())
    assert not (tmp_path / "out").exists()


def test_an_engine_without_a_data_model_exits_2_before_anything_starts(tmp_path: Path) -> None:
    result = bakeoff_with(
        "dictstore", "run", "orders", "--engine", "memcached", "--output", "out", cwd=tmp_path
    )
    assert result.returncode == 2, result.stderr
    message = " ".join(result.stderr.split())
    assert "engine 'memcached' has no data model for it" in message
    assert not (tmp_path / "out").exists()
