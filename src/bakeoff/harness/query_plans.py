"""Explaining the workload's query shapes on the runner's own connection, off the
measured path: at the end of the load and at the end of the run (docs/query-plans.md)."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import numpy as np

from bakeoff.adapters.protocol import Capability, ExplainQueries
from bakeoff.core.operations import BY_NAME
from bakeoff.core.query_plans import AccessPath, Moment, QueryPlan, QueryShape
from bakeoff.harness.plan import Trial
from bakeoff.workloads.keys import key_names
from bakeoff.workloads.model import Workload

_WRITES = frozenset({"update", "insert", "delete"})
_UNUSED = 2**40
"""The number of the key an insert is explained with: past any key a run inserts."""
_log = logging.getLogger(__name__)


def query_shapes(workload: Workload) -> list[QueryShape]:
    """One shape per adapter method the workload's operations call (a read-modify-write
    sends a read and an update), in the operations table's order."""
    users: dict[str, list[str]] = {}
    for name in workload.operations.active():
        definition = BY_NAME[name]
        for step in definition.steps or (name,):
            users.setdefault(BY_NAME[step].method, []).append(name)
    loaded = sample_key(workload, 0)
    fields = workload.fields.names()
    value = "x" * workload.fields.length.maximum
    shapes = []
    for method, operations in users.items():
        writes = method in _WRITES
        key = sample_key(workload, _UNUSED) if method == "insert" else loaded
        values = fields if method == "insert" else fields[:1] if method == "update" else ()
        shapes.append(
            QueryShape(
                name=method,
                operations=tuple(operations),
                key=key,
                writes=writes,
                values=dict.fromkeys(values, value),
                count=workload.scan_length.maximum,
            )
        )
    return shapes


def sample_key(workload: Workload, number: int) -> str:
    """The key of the `number`th record the load stores (numbers from `records` on are
    keys an insert would add)."""
    numbers = np.array([number], dtype=np.int64)
    names = key_names(numbers, prefix=workload.key_prefix, insert_order=workload.insert_order)
    return str(names[0])


def explain_shapes(control: Any, trial: Trial, moment: Moment) -> list[QueryPlan]:
    """The plan of each shape the trial's workload sends, taken at `moment`; empty when
    the adapter does not declare EXPLAIN (key-value engines) or for a schema workload.

    A shape the engine fails to explain is kept, as unknown with the error as its note:
    plans explain a measurement and never fail one."""
    if trial.model is not None or Capability.EXPLAIN not in trial.adapter.capabilities:
        return []
    if not isinstance(control, ExplainQueries):
        return []
    plans = []
    for shape in query_shapes(trial.workload):
        try:
            plan = control.explain(trial.workload.table, shape)
        except Exception as exc:
            _log.warning("explaining %s on %s failed: %s", shape.name, trial.label, exc)
            note = f"explain failed: {type(exc).__name__}: {exc}"
            plan = QueryPlan(shape.name, "", AccessPath.UNKNOWN, "", note=note)
        plans.append(replace(plan, moment=moment.value))
    return plans
