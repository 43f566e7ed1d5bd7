"""Connections as threads: constant open-loop arrivals interleave across connections."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import ClassVar

from bakeoff.adapters.noop import NoopAdapter
from bakeoff.adapters.protocol import Capability, Endpoint, Record
from bakeoff.core.measures import Phase
from bakeoff.harness.clients import PhaseCommand, ThreadClientGroup
from bakeoff.workloads.loader import load_workload, shipped_workloads_dir

CALLS: list[int] = []
_LOCK = threading.Lock()


class TimedAdapter(NoopAdapter):
    """Notes when each read starts."""

    capabilities: ClassVar[frozenset[Capability]] = NoopAdapter.capabilities

    def read(self, table: str, key: str, fields: Sequence[str] | None) -> Record | None:
        with _LOCK:
            CALLS.append(time.perf_counter_ns())
        return super().read(table, key, fields)

    def connect(self, endpoint: Endpoint, options: Mapping[str, str]) -> None:
        pass


def test_constant_arrivals_of_the_connections_are_spread_over_the_gap() -> None:
    workload = load_workload(shipped_workloads_dir() / "ycsb-c.yaml").with_overrides(records=10)
    connections = 4
    group = ThreadClientGroup(
        adapter_cls=TimedAdapter,
        endpoint=Endpoint(engine="noop", url="noop://", display_url="noop://", version="none"),
        options={},
        workload=workload,
        connections=list(range(connections)),
        total_connections=connections,
        expected_operations={},
    )
    group.connect()
    CALLS.clear()
    start = time.perf_counter_ns()
    # 40 ops/s over four connections: each sends every 100 ms.
    group.start_phase(
        PhaseCommand(
            phase=Phase.MEASURE,
            start_ns=start,
            interval_ns=10**9,
            operations=dict.fromkeys(range(connections)),
            deadline_ns=start + 90_000_000,
            rate_per_connection=10.0,
        )
    )
    assert group.wait(5.0) is not None
    group.close()
    firsts = sorted(CALLS)[:connections]
    assert len(firsts) == connections
    # Interleaved: 0, 25, 50, 75 ms; all at once would be within a millisecond or two.
    assert (firsts[-1] - firsts[0]) / 1e6 >= 50
