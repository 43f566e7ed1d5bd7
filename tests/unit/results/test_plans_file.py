"""plans.json: written beside the manifest with each trial, kept by a partial run."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bakeoff.core.query_plans import AccessPath, QueryPlan
from bakeoff.results.query_plans import read_plans
from bakeoff.results.schema import PLANS_FILE
from bakeoff.results.writer import RunWriter
from tests.unit.results.test_store import trial_record

PLAN = QueryPlan(
    "read",
    "SELECT",
    AccessPath.INDEX_LOOKUP,
    "Index Scan",
    index="pk",
    moment="after-load",
    raw='[{"Plan": {}}]',
)


def test_plans_are_written_with_each_trial_and_kept_by_a_partial_run(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path, run_id="r")
    writer.add_trial(replace(trial_record(0), plans=(PLAN,)))
    writer.add_trial(trial_record(1))  # an adapter without plans adds no entry

    [partial] = read_plans(writer.path_partial)  # a crash now keeps them
    assert (partial.trial, partial.engine, partial.plans) == (0, "postgres", (PLAN,))

    run = writer.finish("ok")
    assert (run / PLANS_FILE).is_file()
    assert read_plans(run) == [partial]


def test_a_run_without_plans_or_with_a_damaged_file_has_none(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path, run_id="r")
    writer.add_trial(trial_record(0))
    run = writer.finish("ok")
    assert not (run / PLANS_FILE).exists()
    assert read_plans(run) == []
    (run / PLANS_FILE).write_text("{not json", encoding="utf-8")
    assert read_plans(run) == []
