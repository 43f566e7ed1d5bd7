"""Client CPU per operation of the split-phase loop alone, user and system time apart.

Runs `run_split_phase_closed_loop` in this process over N connections to one container
of the project's image (no runner, no worker processes), after loading the selftest's
records, and prints the median over the repeats of client CPU µs per operation, its
user and system parts, and ops/s. For an A/B against other code, run it twice with
PYTHONPATH pointing at the other tree's src/ (`git archive REV src | tar -x -C DIR`).
`--noop` prices the blocking closed loop with the no-op adapter instead (no server).

Run: python benchmarks/bench_split_loop.py redis --connections 8 --operations 5000
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from collections.abc import Sequence

from bakeoff.adapters.noop import NoopAdapter
from bakeoff.adapters.protocol import Adapter
from bakeoff.adapters.registry import adapter_class
from bakeoff.core.measures import Phase
from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.container import ContainerProvisioner
from bakeoff.engines.images import local_image
from bakeoff.harness.loadgen import ConnectionState, load_records, run_closed_loop
from bakeoff.harness.multiplex import run_split_phase_closed_loop
from bakeoff.harness.operation_stream import OperationStream
from bakeoff.harness.recorder import Recorder
from bakeoff.selftest.bakeoff_runs import selftest_workload
from bakeoff.workloads.model import Workload

RECORDS = 100_000


def _usage() -> tuple[float, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


def _once(adapters: Sequence[Adapter], workload: Workload, operations: int) -> list[float]:
    """[cpu, user, system] µs per operation and ops/s of one run."""
    n = len(adapters)
    streams = [
        OperationStream(workload, connection=c, connections=n, expected_operations=operations)
        for c in range(n)
    ]
    recorders = [
        Recorder(list(s.operations), Phase.MEASURE, start_ns=time.perf_counter_ns())
        for s in streams
    ]
    states = [ConnectionState() for _ in range(n)]
    user, system = _usage()
    started = time.perf_counter()
    if isinstance(adapters[0], NoopAdapter):
        run_closed_loop(
            adapters[0], streams[0], recorders[0], states[0], operations=operations,
            deadline_ns=None,
        )  # fmt: skip
    else:
        run_split_phase_closed_loop(
            adapters, streams, recorders, states, operations=[operations] * n, deadline_ns=None
        )
    wall = time.perf_counter() - started
    user_after, system_after = _usage()
    done = sum(s.completed for s in states)
    errors = [s.fatal_error for s in states if s.fatal_error]
    if errors:
        raise RuntimeError(errors[0])
    u, s = (user_after - user) / done * 1e6, (system_after - system) / done * 1e6
    return [u + s, u, s, done / wall]


def _report(label: str, runs: list[list[float]]) -> None:
    cpu, user, system, rate = (statistics.median(r[k] for r in runs) for k in range(4))
    print(
        f"{label}: client cpu {cpu:5.2f} µs/op (user {user:5.2f}, system {system:5.2f}), "
        f"{rate:9,.0f} ops/s, median of {len(runs)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("engine", nargs="?", choices=["postgres", "redis"], default="redis")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--operations", type=int, default=5000, help="per connection")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--noop", action="store_true", help="the no-op adapter, one connection")
    args = parser.parse_args()
    if args.noop:
        workload = selftest_workload("noop", {"read": 0.5, "update": 0.5}, RECORDS, 1)
        noop = [NoopAdapter()]
        _once(noop, workload, 20_000)
        _report("noop", [_once(noop, workload, args.operations) for _ in range(args.repeats)])
        return
    mix = {"read": 0.5, "update": 0.5} if args.engine == "redis" else {"read": 1.0}
    workload = selftest_workload("loop", mix, RECORDS, 1)
    spec = engine_spec(args.engine)
    with ContainerProvisioner(spec, image=local_image(args.engine)) as endpoint:
        adapters: list[Adapter] = []
        for _ in range(args.connections):
            adapter = adapter_class(spec.adapter)()
            adapter.connect(endpoint, {})
            adapter.setup(workload.table_spec())
            adapters.append(adapter)
        recorder = Recorder(["insert_batch"], Phase.LOAD, start_ns=time.perf_counter_ns())
        load_records(
            adapters[0], workload, 0, RECORDS, recorder, ConnectionState(), batch_size=500,
            connection=0,
        )  # fmt: skip
        _once(adapters, workload, 500)
        runs = [_once(adapters, workload, args.operations) for _ in range(args.repeats)]
        for adapter in adapters:
            adapter.close()
    _report(f"{args.engine}, {args.connections} connections", runs)


if __name__ == "__main__":
    main()
