"""Polling for replies against sleeping at once, with the native peer in every round.

The selftest's trials (workload A on Redis against redis-benchmark, C on PostgreSQL
against `pgbench -S`, 100,000 records) at N connections, split as `--connections` splits
them, once per `--spin-wait-us` value given, alternated (the order reversed every other
round), the native peer after them. Each polling time's runner loads the table once,
before the rounds, and reuses it. Besides
ops/s and client CPU per operation it prints, over the part of each run where the
engine was busy (sampled every 0.25 s), the share of the machine's CPU time that was
idle and the engine's CPU per operation (its container's cgroup): a client whose CPU
halts between replies leaves both CPUs idle at times and makes every wake-up dearer.
Ratios are to the peer measured in the same round; medians over the rounds at the end.

Run (Docker and the engine images, `bakeoff images env`):
    python benchmarks/bench_spin_wait.py [--connections 1] [--spins 200 0]
        [--engines redis postgres] [--duration 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from collections.abc import Callable

from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.container import ContainerProvisioner
from bakeoff.engines.images import local_image
from bakeoff.engines.provisioning import EngineOptions
from bakeoff.harness.clients import usable_cores
from bakeoff.harness.options import RunOptions, split_connections
from bakeoff.harness.runner import TrialRunner
from bakeoff.selftest.bakeoff_runs import MIXES, RECORDS, measured_of, run_on, selftest_workload
from bakeoff.selftest.measured import Measured
from bakeoff.selftest.native import pgbench, redis_benchmark, run_pgbench

MIX_OF = {"redis": "a", "postgres": "c"}
BUSY_CORES = 0.5
"""Engine CPU (cores) above which a sampling interval counts as part of the run."""


class MachineSampler:
    """Every 0.25 s in a thread: the machine's idle and total CPU time (/proc/stat) and
    the engine container's CPU seconds."""

    def __init__(self, engine_cpu: Callable[[], float | None]) -> None:
        self._engine_cpu = engine_cpu
        self.samples: list[tuple[int, int, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MachineSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            with open("/proc/stat", encoding="ascii") as stat:
                jiffies = [int(x) for x in stat.readline().split()[1:9]]
            idle = jiffies[3] + jiffies[4]  # idle + iowait
            self.samples.append((idle, sum(jiffies), self._engine_cpu() or 0.0))
            time.sleep(0.25)

    def busy(self, first: int) -> tuple[float, float]:
        """(idle share, engine cores) over the samples since `first` in which the engine
        was busy, the first and last busy interval left out (a run's ramp)."""
        s = self.samples[first:]
        cores = os.cpu_count() or 1

        def wall(a: int, b: int) -> float:
            return (s[b][1] - s[a][1]) / cores / 100  # jiffies at 100 Hz

        busy = [
            k for k in range(1, len(s)) if (s[k][2] - s[k - 1][2]) / wall(k - 1, k) > BUSY_CORES
        ]
        if len(busy) < 3:
            return float("nan"), float("nan")
        lo, hi = busy[1] - 1, busy[-2]
        return (s[hi][0] - s[lo][0]) / (s[hi][1] - s[lo][1]), (s[hi][2] - s[lo][2]) / wall(lo, hi)


def compare(
    engine: str, connections: int, spins: list[float], duration_s: float, rounds: int
) -> None:
    spec = engine_spec(engine)
    workload = selftest_workload(f"spin-{engine}", MIXES[MIX_OF[engine]], RECORDS, duration_s)
    ratios: dict[float, list[tuple[float, float, float, float]]] = {s: [] for s in spins}
    processes, clients = split_connections(connections, usable_cores())
    provisioner = ContainerProvisioner(spec, image=local_image(engine))
    with provisioner as endpoint, MachineSampler(provisioner.engine_cpu_seconds) as sampler:

        def show(label: str, m: Measured, first: int) -> tuple[float, float]:
            idle, engine_cores = sampler.busy(first)
            engine_us = engine_cores / m.ops_per_s * 1e6
            print(
                f"{engine} {label:>12s}: {m.ops_per_s:8,.0f} ops/s  p50 {m.p50_us:4.0f} µs  "
                f"client {m.cpu_us_per_op:5.1f} µs/op  engine {engine_us:5.1f} µs/op  "
                f"idle {idle:6.1%}  (load {os.getloadavg()[0]:.1f})",
                flush=True,
            )
            return idle, engine_us

        # A runner per polling time, each keeping the table it loaded: the engine's busy
        # part of a run is then the measurement alone, not the load before it.
        runners = {
            spin: TrialRunner(
                RunOptions(
                    processes=processes,
                    clients=clients,
                    auto_split=True,  # as `bakeoff run --connections` picks it
                    spin_wait_us=spin,
                    reuse=True,
                    engine_options=EngineOptions(keep=True),
                )
            )
            for spin in spins
        }

        def trial(spin: float) -> Measured:
            return measured_of(run_on(runners[spin], engine, endpoint, workload))

        for spin in spins:
            trial(spin)  # loads the table, not counted
        if engine == "postgres":
            pgbench(endpoint, 1, 1.0)  # creates pgbench's table, outside the rounds
        for round_ in range(rounds):
            ours: dict[float, tuple[Measured, float, float]] = {}
            for spin in spins if round_ % 2 == 0 else list(reversed(spins)):
                first = len(sampler.samples)
                m = trial(spin)
                ours[spin] = (m, *show(f"spin {spin:g} µs", m, first))
            first = len(sampler.samples)
            if engine == "redis":
                native = redis_benchmark(endpoint, connections, int(m.ops_per_s * duration_s))
            else:
                native = run_pgbench(endpoint, connections, duration_s, ["-S"])
            show("native peer", native, first)
            for spin, (m, idle, engine_us) in ours.items():
                ratios[spin].append(
                    (
                        m.ops_per_s / native.ops_per_s,
                        m.cpu_us_per_op / native.cpu_us_per_op,
                        idle,
                        engine_us,
                    )
                )
    for spin, rows in ratios.items():
        rate, cpu, idle, engine_us = (statistics.median(r[k] for r in rows) for k in range(4))
        print(
            f"== {engine}, {connections} connection(s), spin {spin:g} µs, medians of {rounds}: "
            f"{rate:.3f}x the peer's ops/s {[round(r[0], 3) for r in rows]}, "
            f"{cpu:.2f}x its client CPU per op, idle {idle:.1%}, engine {engine_us:.1f} µs/op",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--spins", type=float, nargs="+", default=[200.0, 0.0])
    parser.add_argument("--engines", nargs="+", choices=list(MIX_OF), default=list(MIX_OF))
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    for engine in args.engines:
        compare(engine, args.connections, args.spins, args.duration, args.rounds)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
