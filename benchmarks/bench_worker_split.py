"""Which processes × clients split drives an engine hardest at a given connection count?

Runs the selftest's workload (Redis: HGETALL/HSET 50/50; PostgreSQL: point SELECT) through
bakeoff at each split, and the native peer (redis-benchmark, pgbench -S -M prepared) at
the same connection count before and after, on one container of the project's image.
Prints ops/s, p50, client CPU µs/op and the ratio to the mean of the two peer runs.
`bakeoff run --connections N` uses the rule this measured (docs/load-generator.md).

Run: python benchmarks/bench_worker_split.py postgres --splits 8x1 4x2 2x4 1x8
     [--thread-per-connection]
A split may name a polling time: `1x8@200` runs it with `--spin-wait-us 200`.
"""

from __future__ import annotations

import argparse
import statistics

from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.container import ContainerProvisioner
from bakeoff.engines.images import local_image
from bakeoff.engines.provisioning import EngineOptions
from bakeoff.harness.runner import RunOptions, TrialRunner
from bakeoff.selftest import bakeoff_runs
from bakeoff.selftest.measured import Measured
from bakeoff.selftest.native import pgbench, redis_benchmark


def _split(text: str) -> tuple[int, int, float]:
    split, _, spin = text.partition("@")
    processes, _, clients = split.partition("x")
    return int(processes), int(clients), float(spin or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("engine", choices=["postgres", "redis"])
    parser.add_argument(
        "--splits", nargs="+", type=_split, default=[(8, 1, 0.0), (4, 2, 0.0), (2, 4, 0.0)]
    )
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument(
        "--thread-per-connection",
        action="store_true",
        help="blocking clients, one thread per connection (default: split phase)",
    )
    args = parser.parse_args()
    connections = {p * c for p, c, _ in args.splits}
    if len(connections) != 1:
        parser.error("every split must multiply out to the same connection count")
    (n,) = connections
    spec = engine_spec(args.engine)
    if args.engine == "redis":
        mix = {"read": 0.5, "update": 0.5}
        workload = bakeoff_runs.selftest_workload("split", mix, bakeoff_runs.RECORDS, args.duration)
    else:
        workload = bakeoff_runs.selftest_workload(
            "split", {"read": 1.0}, bakeoff_runs.RECORDS, args.duration
        )

    with ContainerProvisioner(spec, image=local_image(args.engine)) as endpoint:

        def peer() -> Measured:
            if args.engine == "redis":
                return redis_benchmark(endpoint, n, int(40_000 * args.duration))
            return pgbench(endpoint, n, args.duration)

        peers = [] if args.engine == "redis" else [peer()]  # pgbench creates its table
        rows = []
        for processes, clients, spin in args.splits:
            options = RunOptions(
                processes=processes,
                clients=clients,
                engine_options=EngineOptions(keep=True),
                split_phase=not args.thread_per_connection,
                spin_wait_us=spin,
            )
            record = bakeoff_runs.run_on(TrialRunner(options), args.engine, endpoint, workload)
            label = f"{processes} x {clients}" + (f" @{spin:g}" if spin else "")
            rows.append((label, bakeoff_runs.measured_of(record)))
        peers.append(peer())
    native = statistics.mean(p.ops_per_s for p in peers)
    native_cpu = statistics.mean(p.cpu_us_per_op for p in peers)
    mode = "thread per connection" if args.thread_per_connection else "split phase"
    print(
        f"{args.engine}, {n} connections, {mode}, native peer {native:,.0f} ops/s "
        f"(mean of {len(peers)})"
    )
    for label, m in rows:
        print(
            f"  {label:>12s}: {m.ops_per_s:8,.0f} ops/s ({m.ops_per_s / native:4.2f}x peer)  "
            f"p50 {m.p50_us:5.0f} µs  client cpu {m.cpu_us_per_op:5.1f} µs/op "
            f"({m.cpu_us_per_op / native_cpu:4.2f}x peer)"
        )
    for p in peers:
        print(
            f"  native      : {p.ops_per_s:8,.0f} ops/s  p50 {p.p50_us:5.0f} µs  "
            f"client cpu {p.cpu_us_per_op:5.1f} µs/op"
        )


if __name__ == "__main__":
    main()
