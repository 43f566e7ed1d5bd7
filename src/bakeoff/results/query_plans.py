"""The query plans of a run: plans.json beside the manifest, one entry per trial.

A sibling file rather than manifest keys: raw plans (PostgreSQL's JSON, a Cassandra trace)
run to kilobytes per shape, and the manifest is what `bakeoff history` and every report
read whole, over many runs; a run without the file (an older run, only key-value engines)
simply has no plans. It is rewritten atomically with each trial, like the manifest, so a
partial or recovered run keeps the plans of every trial written.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bakeoff.core.files import write_bytes_atomically
from bakeoff.core.query_plans import QueryPlan
from bakeoff.harness.trial import TrialRecord
from bakeoff.results.schema import PLANS_FILE


@dataclass(frozen=True)
class TrialPlans:
    """The plans of one trial, with what identifies the trial across runs."""

    trial: int
    repetition: int
    engine: str
    workload: str
    workload_hash: str
    plans: tuple[QueryPlan, ...]


def plans_entry(trial: TrialRecord, workload_hash: str) -> dict[str, Any]:
    return {
        "trial": trial.trial,
        "repetition": trial.repetition,
        "engine": trial.engine,
        "workload": trial.workload.name,
        "workload_hash": workload_hash,
        "plans": [plan.to_json() for plan in trial.plans],
    }


def write_plans(folder: Path, entries: Sequence[Mapping[str, Any]]) -> None:
    text = json.dumps({"trials": list(entries)}, indent=1, ensure_ascii=False, default=str)
    write_bytes_atomically(folder / PLANS_FILE, (text + "\n").encode())


def read_plans(run: Path | str) -> list[TrialPlans]:
    """The plans stored with a run (its folder or manifest); empty when it has none."""
    path = Path(run)
    file = (path if path.is_dir() else path.parent) / PLANS_FILE
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except ValueError:
        return []  # a damaged plans file costs the plans, never the run
    found = []
    for entry in data.get("trials", []) if isinstance(data, dict) else []:
        try:
            found.append(
                TrialPlans(
                    trial=int(entry["trial"]),
                    repetition=int(entry["repetition"]),
                    engine=str(entry["engine"]),
                    workload=str(entry["workload"]),
                    workload_hash=str(entry["workload_hash"]),
                    plans=tuple(QueryPlan.from_json(p) for p in entry["plans"]),
                )
            )
        except (KeyError, TypeError, ValueError):
            continue
    return found
