"""The connections of a trial, grouped: threads of this process, or worker processes."""

from __future__ import annotations

from typing import Any

from bakeoff.core.endpoint import Endpoint
from bakeoff.harness.clients import ClientGroup, ThreadClientGroup
from bakeoff.harness.loadgen import split_evenly
from bakeoff.harness.options import RunOptions
from bakeoff.harness.plan import Trial
from bakeoff.harness.worker_process import ProcessClientGroup, SharedProgress


def client_groups(trial: Trial, endpoint: Endpoint, options: RunOptions) -> list[ClientGroup]:
    """One group of threads when `options.processes` is 1, else one group per process."""
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
    if options.processes == 1:
        return [ThreadClientGroup(connections=slices[0], **common)]
    shared = SharedProgress(options.processes)
    return [
        ProcessClientGroup(slot, shared, connections=slices[slot], **common)
        for slot in range(options.processes)
    ]
