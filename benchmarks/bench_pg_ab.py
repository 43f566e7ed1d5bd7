"""bakeoff against `pgbench -S` at N connections, two source trees alternated, one server.

Each round runs, on one PostgreSQL container of the project's image: bakeoff's trial
from every tree given, in the order given and reversed every other round (the
selftest's workload C, 100,000 records, the selftest's processes × clients split unless
--split), then pgbench -S -M prepared at the same connection count, as `bakeoff
selftest` does. A tree is a checkout's ``src`` folder
(``git archive REV src | tar -x -C DIR`` gives one of an older commit) or ``.`` for the
installed bakeoff; each trial runs in a child process with that tree first on
PYTHONPATH. Prints each round and the medians: ops/s and client CPU µs/op, and their
ratios to pgbench in the same round. The load averages before and after say how busy
the machine was.

A tree may name its own split (``--tree one=.,1x8 --tree two=.,2x4``): the same code at
two splits.

Run: python benchmarks/bench_pg_ab.py --tree base=/tmp/base/src --tree new=. \\
     [--connections 8] [--rounds 3] [--duration 10] [--split 2x4]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.container import ContainerProvisioner
from bakeoff.engines.images import local_image
from bakeoff.selftest.measured import Measured
from bakeoff.selftest.native import pgbench

_CHILD = """
import json, sys
from dataclasses import asdict
from bakeoff.adapters.protocol import Endpoint
from bakeoff.adapters.registry import adapter_class
from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.external import ExternalProvisioner
from bakeoff.engines.provisioning import EngineOptions
from bakeoff.harness.options import RunOptions
from bakeoff.selftest import bakeoff_runs as b

url, connections, duration, split = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
workload = b.selftest_workload("ab-c", b.MIXES["c"], b.RECORDS, duration)
endpoint = Endpoint(engine="postgres", url=url, display_url="postgres", version="")
if split:
    processes, _, clients = split.partition("x")
    spec = engine_spec("postgres")
    record = b.run_trial(
        workload, spec, adapter_class(spec.adapter), ExternalProvisioner(spec, url),
        RunOptions(processes=int(processes), clients=int(clients),
                   engine_options=EngineOptions(keep=True)),
    )
    measured, how = b.measured_of(record), split
else:
    measured, how = b.bakeoff_on("postgres", endpoint, workload, connections)
print(json.dumps({**asdict(measured), "split": how}))
"""


def _trial(spec: str, url: str, args: argparse.Namespace) -> dict[str, object]:
    tree, _, split = spec.partition(",")
    env = dict(os.environ)
    if tree != ".":
        env["PYTHONPATH"] = os.pathsep.join(p for p in (tree, env.get("PYTHONPATH")) if p)
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            _CHILD,
            url,
            str(args.connections),
            str(args.duration),
            split or args.split,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--tree", action="append", required=True, help="NAME=DIR[,PxC] (DIR . = installed)"
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--split", default="", help="PxC; default: the selftest's split")
    args = parser.parse_args()
    trees = dict(t.split("=", 1) for t in args.tree)
    print(f"load average before: {_load()}")
    rows: dict[str, list[tuple[float, float, float, float]]] = {name: [] for name in trees}
    peers: list[Measured] = []
    with ContainerProvisioner(engine_spec("postgres"), image=local_image("postgres")) as ep:
        for r in range(args.rounds):
            # The order turns every other round: the trial run just before pgbench did
            # better in both runs of a two-tree comparison that kept one order.
            order = list(trees) if r % 2 == 0 else list(reversed(trees))
            ran = {name: _trial(trees[name], ep.url, args) for name in order}
            trials = {name: ran[name] for name in trees}
            peer = pgbench(ep, args.connections, args.duration)
            peers.append(peer)
            for name, m in trials.items():
                rate, cpu = float(str(m["ops_per_s"])), float(str(m["cpu_us_per_op"]))
                rows[name].append((rate, cpu, rate / peer.ops_per_s, cpu / peer.cpu_us_per_op))
                print(
                    f"round {r + 1} {name:>8s} ({m['split']}): {rate:8,.0f} ops/s "
                    f"({rate / peer.ops_per_s:4.2f}x)  cpu {cpu:5.1f} µs/op "
                    f"({cpu / peer.cpu_us_per_op:4.2f}x)  p50 {m['p50_us']:.0f} µs"
                )
            print(
                f"round {r + 1}  pgbench: {peer.ops_per_s:8,.0f} ops/s  "
                f"cpu {peer.cpu_us_per_op:5.1f} µs/op  p50 {peer.p50_us:.0f} µs  "
                f"(load {_load()})",
                flush=True,
            )
    print(f"load average after: {_load()}")
    print(f"medians of {args.rounds} rounds, {args.connections} connections:")
    for name, values in rows.items():
        rate, cpu, rate_x, cpu_x = (statistics.median(v[k] for v in values) for k in range(4))
        print(
            f"  {name:>8s}: {rate:8,.0f} ops/s ({rate_x:4.2f}x pgbench)  "
            f"cpu {cpu:5.1f} µs/op ({cpu_x:4.2f}x pgbench)"
        )
    rate = statistics.median(p.ops_per_s for p in peers)
    cpu = statistics.median(p.cpu_us_per_op for p in peers)
    print(f"   pgbench: {rate:8,.0f} ops/s  cpu {cpu:5.1f} µs/op")


if __name__ == "__main__":
    main()
