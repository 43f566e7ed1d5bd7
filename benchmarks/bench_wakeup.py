"""The wake-up effect at one connection: bakeoff (and go-ycsb, when named) on Redis,
workload C, with the machine as it is and with a SCHED_IDLE busy loop on every CPU,
alternated. Prints ops/s, client CPU µs per operation, and idle entries per operation
(the cpuidle `usage` counters of every CPU: how often a CPU went idle, to be woken;
over bakeoff's whole trial, its load phase included, and over go-ycsb's run).

Run: python benchmarks/bench_wakeup.py [--go-ycsb PATH] [--rounds 3] [--duration 8]
(docs/load-generator.md, "Idle CPUs and one connection").
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
from collections.abc import Callable
from pathlib import Path

from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.container import ContainerProvisioner
from bakeoff.engines.images import local_image
from bakeoff.selftest.bakeoff_runs import MIXES, RECORDS, bakeoff_on, selftest_workload
from bakeoff.selftest.goycsb import GoYcsb, goycsb_binary
from bakeoff.selftest.measured import Measured
from bakeoff.selftest.wakeup import busy_loops

CPUS = Path("/sys/devices/system/cpu")


def idle_entries() -> int:
    return sum(int(p.read_text()) for p in CPUS.glob("cpu[0-9]*/cpuidle/state*/usage"))


def measure(run: Callable[[], Measured]) -> tuple[Measured, float]:
    before = idle_entries()
    measured = run()
    return measured, float(idle_entries() - before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--go-ycsb", default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=8.0)
    args = parser.parse_args()
    binary = goycsb_binary(args.go_ycsb)
    goycsb = GoYcsb(binary) if binary else None
    workload = selftest_workload("wakeup", MIXES["c"], RECORDS, args.duration)
    results: dict[str, list[tuple[float, float, float]]] = {}
    print(f"load average {os.getloadavg()}")
    with ContainerProvisioner(engine_spec("redis"), image=local_image("redis")) as endpoint:
        if goycsb is not None:
            goycsb.load("redis", endpoint, RECORDS)
        tools: dict[str, Callable[[], Measured]] = {
            "bakeoff": lambda: bakeoff_on("redis", endpoint, workload, 1)[0],
        }
        if goycsb is not None:
            tools["go-ycsb"] = lambda: (
                goycsb.run("redis", endpoint, RECORDS, MIXES["c"], 1, args.duration).measured
            )
        for _ in range(args.rounds):
            for busy in (False, True):
                context = busy_loops() if busy else contextlib.nullcontext()
                with context:
                    for name, run in tools.items():
                        m, entries = measure(run)
                        ops = m.ops_per_s * args.duration
                        key = f"{name}, {'busy loops' if busy else 'as it is'}"
                        results.setdefault(key, []).append(
                            (m.ops_per_s, m.cpu_us_per_op, entries / ops)
                        )
                        print(f"  {key}: {m.ops_per_s:,.0f} ops/s", flush=True)
    print(f"load average {os.getloadavg()}")
    for key, rows in results.items():
        ops, cpu, entries = (statistics.median(col) for col in zip(*rows, strict=True))
        print(
            f"{key:28s} {ops:9,.0f} ops/s  cpu {cpu:5.1f} µs/op  "
            f"idle entries {entries:4.2f}/op  (median of {len(rows)})"
        )


if __name__ == "__main__":
    main()
