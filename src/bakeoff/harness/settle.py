"""Settling the table between the load and the measurement (docs/load-generator.md,
"Settling after the load").

A table read straight after its bulk load is not in the state of the same table in
service: on PostgreSQL the first read of each row sets its hint bits and dirties its
page, the planner has no statistics, and autovacuum may wake up in the middle of the
measured phase. `pgbench -i` VACUUMs its tables after loading them; a comparison with it,
and any reading of the figures as those of a system in service, needs the same.
Where the adapter declares `Capability.SETTLE`, the runner has it run the engine's own
statements once after the load phase, on the runner's connection, outside every timed
phase, and records what ran and how long it took. YCSB never settles; `--no-settle` (or
`RunOptions.settle`) measures the table as the load left it.
"""

from __future__ import annotations

import time
from typing import Any

from bakeoff.adapters.protocol import Capability
from bakeoff.harness.options import RunOptions
from bakeoff.harness.plan import Trial


class SettleFailedError(RuntimeError):
    """Settling failed: the trial ends there, keeping what its load phase recorded."""


REUSED = "the data was reused from an earlier trial (--reuse)"


def not_settled(why: str) -> dict[str, object]:
    """What the trial's manifest records when nothing settled its table."""
    return {"settled": False, "why_not": why}


def settle_after_load(control: Any, trial: Trial, options: RunOptions) -> dict[str, object]:
    """Settle the trial's freshly loaded table on `control` (the runner's connection);
    what the trial's manifest records: "settled", what ran ("statements") and how long
    it took ("seconds"), or "why_not"."""
    why_not = _why_not(trial, options)
    if why_not is not None:
        return not_settled(why_not)
    table = trial.workload.table_spec()
    start = time.perf_counter()
    try:
        statements = str(control.settle(table))
    except Exception as exc:
        raise SettleFailedError(
            f"{trial.label}: settling table {table.name} after the load failed "
            f"(--no-settle skips it): {exc}"
        ) from exc
    return {
        "settled": True,
        "statements": statements,
        "seconds": round(time.perf_counter() - start, 3),
    }


def _why_not(trial: Trial, options: RunOptions) -> str | None:
    if not options.settle:
        return "switched off (--no-settle)"
    if trial.model is not None:
        return f"the data model {trial.model.name} has no settling step"
    if Capability.SETTLE not in trial.adapter.capabilities:
        return f"the {trial.adapter.name} adapter declares no settling step"
    if not trial.workload.rows_to_load:
        return "nothing was loaded"
    return None
