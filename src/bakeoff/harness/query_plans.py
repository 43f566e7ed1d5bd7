"""Explaining the workload's query shapes on the runner's own connection, off the
measured path: at the end of the load and at the end of the run (docs/query-plans.md)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import numpy as np

from bakeoff.adapters.data_model import ExplainOperations
from bakeoff.adapters.protocol import Capability, ExplainQueries
from bakeoff.core.operations import BY_NAME
from bakeoff.core.query_plans import AccessPath, Moment, QueryPlan, QueryShape
from bakeoff.harness.plan import Trial
from bakeoff.workloads.keys import key_names
from bakeoff.workloads.logical import LogicalMix
from bakeoff.workloads.model import Workload
from bakeoff.workloads.parameters import verification_parameters

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
    """The plan of each shape the trial's workload sends, taken at `moment`: each key-value
    shape where the adapter declares EXPLAIN, each read operation of a schema workload
    where the data model explains (`ExplainOperations`); otherwise none.

    A shape the engine fails to explain is kept, as unknown with the error as its note:
    plans explain a measurement and never fail one."""
    if trial.model is not None:
        return (
            _explain_model(control, trial, moment) if isinstance(control, ExplainOperations) else []
        )
    if Capability.EXPLAIN not in trial.adapter.capabilities:
        return []
    if not isinstance(control, ExplainQueries):
        return []
    plans: list[QueryPlan] = []
    for shape in query_shapes(trial.workload):
        with _kept(plans, shape.name, trial, moment):
            plans.append(replace(control.explain(trial.workload.table, shape), moment=moment.value))
    return plans


def _explain_model(control: ExplainOperations, trial: Trial, moment: Moment) -> list[QueryPlan]:
    """Each read operation, with its first verification parameter set."""
    workload = trial.workload
    schema, mix = workload.data_schema(), workload.operations
    assert isinstance(mix, LogicalMix)
    plans: list[QueryPlan] = []
    for name, operation in mix.items():
        if not operation.reads():
            continue
        [parameters] = verification_parameters(schema, name, operation, seed=workload.seed, count=1)
        with _kept(plans, name, trial, moment):
            plans += [
                replace(p, moment=moment.value)
                for p in control.explain(name, operation, parameters)
            ]
    return plans


@contextmanager
def _kept(plans: list[QueryPlan], shape: str, trial: Trial, moment: Moment) -> Iterator[None]:
    """A failure to explain `shape` kept as an unknown plan, never raised."""
    try:
        yield
    except Exception as exc:
        _log.warning("explaining %s on %s failed: %s", shape, trial.label, exc)
        note = f"explain failed: {type(exc).__name__}: {exc}"
        plans.append(QueryPlan(shape, "", AccessPath.UNKNOWN, "", note=note, moment=moment.value))
