"""The connections of a trial, grouped by the executor: threads of this process, worker
processes, or actors of a Ray cluster (harness/executor.py)."""

from __future__ import annotations

from typing import Any

from bakeoff.core.endpoint import Endpoint
from bakeoff.harness.clients import ClientGroup
from bakeoff.harness.executor import Executor
from bakeoff.harness.loadgen import split_evenly
from bakeoff.harness.options import RunOptions
from bakeoff.harness.plan import Trial


def client_groups(
    trial: Trial, endpoint: Endpoint, options: RunOptions, executor: Executor, *, spawn: bool
) -> list[ClientGroup]:
    """One group per worker process (`options.processes`), `options.clients` connections
    each; `spawn`: in spawned processes even if there is one (harness/client_io.py)."""
    connections = options.connections
    workload = trial.workload
    total = workload.operation_count or 0
    expected = dict(enumerate(split_evenly(total, connections))) if total else {}
    common: dict[str, Any] = {
        "adapter_cls": trial.driver,
        "endpoint": endpoint,
        "options": dict(options.adapter_options),
        "workload": workload,
        "total_connections": connections,
        "expected_operations": expected,
    }
    slices = [
        list(range(p * options.clients, (p + 1) * options.clients))
        for p in range(options.processes)
    ]
    return executor.groups(slices, common, spawn=spawn)
