"""Plan changes between runs: a shape whose access path (or index) differs from the
previous run of the same engine and workload hash, reported beside the verdicts.

A plan change explains a verdict (a lost index turns lookups into scans) or warns of one
to come on a larger table, so `bakeoff compare` and `bakeoff history add` name it even
when the numbers did not move. The plan compared is each shape's last one: taken at the
end of the run, else at the end of the load.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bakeoff.core.query_plans import Moment, QueryPlan
from bakeoff.results.query_plans import TrialPlans, read_plans
from bakeoff.results.reader import load_manifest

ShapeKey = tuple[str, str, str, str]
"""engine, workload, workload hash, shape."""


@dataclass(frozen=True)
class PlanChange:
    engine: str
    workload: str
    workload_hash: str
    shape: str
    baseline: str
    """The baseline's access path, with its index: "index lookup (usertable_pkey)"."""
    candidate: str
    baseline_run: str
    candidate_run: str

    def text(self) -> str:
        return (
            f"{self.engine}/{self.workload} {self.shape}: plan changed from {self.baseline} "
            f"(run {self.baseline_run}) to {self.candidate} (run {self.candidate_run})"
        )

    def to_dict(self) -> dict[str, str]:
        return {
            "engine": self.engine,
            "workload": self.workload,
            "workload_hash": self.workload_hash,
            "shape": self.shape,
            "baseline": self.baseline,
            "candidate": self.candidate,
            "baseline_run": self.baseline_run,
            "candidate_run": self.candidate_run,
        }


def describe_path(plan: QueryPlan) -> str:
    return f"{plan.access_path.value} ({plan.index})" if plan.index else plan.access_path.value


def last_plans(trials: Iterable[TrialPlans]) -> dict[ShapeKey, str]:
    """Each shape's described access path, from its trials' last plans (later trials win)."""
    found: dict[ShapeKey, str] = {}
    for trial in sorted(trials, key=lambda t: (t.trial, t.repetition)):
        after_run = [p for p in trial.plans if p.moment == Moment.AFTER_RUN.value]
        for plan in after_run or trial.plans:
            key = (trial.engine, trial.workload, trial.workload_hash, plan.shape)
            found[key] = describe_path(plan)
    return found


def _run_id(run: Path) -> str:
    try:
        return str(load_manifest(run).get("run_id") or run.name)
    except (OSError, ValueError):
        return run.name


def _started(run: Path) -> str:
    try:
        return str(load_manifest(run).get("started_at") or "")
    except (OSError, ValueError):
        return ""


def plan_changes(baseline: Sequence[Path], candidate: Sequence[Path]) -> list[PlanChange]:
    """Shapes whose described access path in the candidate runs differs from the newest
    baseline run holding the same engine, workload hash and shape."""
    before: dict[ShapeKey, tuple[str, str]] = {}
    for run in sorted(baseline, key=_started):
        run_id = _run_id(run)
        for key, path in last_plans(read_plans(run)).items():
            before[key] = (path, run_id)
    changes = []
    for run in sorted(candidate, key=_started):
        run_id = _run_id(run)
        for key, path in sorted(last_plans(read_plans(run)).items()):
            previous = before.get(key)
            if previous is not None and previous[0] != path:
                engine, workload, workload_hash, shape = key
                changes.append(
                    PlanChange(
                        engine,
                        workload,
                        workload_hash,
                        shape,
                        previous[0],
                        path,
                        previous[1],
                        run_id,
                    )
                )
    return changes
