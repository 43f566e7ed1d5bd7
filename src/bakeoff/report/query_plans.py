"""Which query plans a report shows: each engine's plans per workload, read from the
runs' plans.json, and the engines measured without plans, with why
(docs/query-plans.md). The section itself is `report.query_plans_section`."""

from __future__ import annotations

from collections.abc import Sequence

from bakeoff.adapters.registry import adapter_class
from bakeoff.core.capabilities import Capability
from bakeoff.core.formats import as_text
from bakeoff.results.query_plans import TrialPlans, read_plans
from bakeoff.results.reader import StoredRun

NO_PLANS_KEY_VALUE = "no query plans (key-value)"


def plan_trials(runs: Sequence[StoredRun]) -> tuple[TrialPlans, ...]:
    """The first trial with plans of each workload hash and engine (repetitions repeat
    the plan; a change between runs is `bakeoff compare`'s to report)."""
    found: dict[tuple[str, str], TrialPlans] = {}
    for run in runs:
        for trial in read_plans(run.path):
            found.setdefault((trial.workload_hash, trial.engine), trial)
    return tuple(found.values())


def engines_without_plans(
    runs: Sequence[StoredRun], explained: Sequence[TrialPlans]
) -> tuple[tuple[str, str], ...]:
    """Engines with a trial that finished ok but no plans, and why."""
    have = {(t.workload, t.engine) for t in explained}
    missing: dict[str, str] = {}
    for run in runs:
        for trial in run.trials:
            engine, workload = as_text(trial.get("engine")), as_text(trial.get("workload"))
            if trial.get("status") != "ok" or (workload, engine) in have or engine in missing:
                continue
            missing[engine] = _why(as_text(trial.get("adapter")), trial.get("data_model"))
    return tuple(sorted(missing.items()))


def _why(adapter: str, data_model: object) -> str:
    try:
        declares = Capability.EXPLAIN in adapter_class(adapter).capabilities
    except Exception:  # an adapter no longer installed: its capabilities are unknown
        return "no query plans"
    if not declares:
        return NO_PLANS_KEY_VALUE
    if data_model:
        return "no query plans (its data model does not explain its operations)"
    return "no query plans (taken before plans were)"
