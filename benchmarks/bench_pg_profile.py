"""How the machine's CPU splits between PostgreSQL and the client, under pgbench -S and
under bakeoff at 1 x 8, and what each read costs on each side.

On one container of the project's image, bakeoff's table is loaded once (a short first
trial) and reused; then, in alternated rounds, pgbench -S -M prepared -c 8 -j 2 and
bakeoff's point read at 1 process x 8 connections run for `--duration` seconds each,
while `perf record -a` samples the whole machine for the middle 6 s. Prints reads/s,
each command's share of the samples, and from those the CPU per read of the engine and
of the client (shares x cores / reads per second). Needs `perf` and root.

Run (Docker and the engine images, `bakeoff images env`):
    python benchmarks/bench_pg_profile.py [--rounds 2] [--duration 14]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import tempfile
import threading
from pathlib import Path

from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.container import ContainerProvisioner
from bakeoff.engines.images import local_image
from bakeoff.engines.provisioning import EngineOptions
from bakeoff.harness.clients import usable_cores
from bakeoff.harness.options import RunOptions
from bakeoff.harness.runner import TrialRunner
from bakeoff.selftest import bakeoff_runs
from bakeoff.selftest.measured import Measured
from bakeoff.selftest.native import pgbench, run_pgbench

CONNECTIONS = 8
SAMPLED_S = 6
CLIENTS = {"pgbench": "pgbench", "bakeoff": "python"}


def sampled(data: Path, wait_s: float) -> threading.Thread:
    """perf samples the whole machine for SAMPLED_S seconds, after `wait_s`."""

    def record() -> None:
        subprocess.run(["sleep", str(wait_s)], check=True)
        subprocess.run(
            [
                *("perf", "record", "-a", "-e", "cpu-clock", "-F", "999"),
                *("-o", str(data), "--", "sleep", str(SAMPLED_S)),
            ],
            capture_output=True,
            check=True,
        )

    thread = threading.Thread(target=record)
    thread.start()
    return thread


def shares(data: Path) -> dict[str, float]:
    """Each command's share of the samples (0..1)."""
    out = subprocess.run(
        ["perf", "report", "-i", str(data), "--no-children", "--sort", "comm", "--stdio"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.findall(r"^\s+([0-9.]+)%\s+(\S+)", out, flags=re.MULTILINE)
    return {comm: float(pct) / 100 for pct, comm in found}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=float, default=14.0)
    args = parser.parse_args()
    spec = engine_spec("postgres")
    runner = TrialRunner(
        RunOptions(
            processes=1, clients=CONNECTIONS, reuse=True, engine_options=EngineOptions(keep=True)
        )
    )
    image = os.environ.get("BAKEOFF_IMAGE_POSTGRES") or local_image("postgres")
    cores = usable_cores()
    with ContainerProvisioner(spec, image=image) as endpoint, tempfile.TemporaryDirectory() as tmp:

        def bakeoff(duration_s: float) -> Measured:
            workload = bakeoff_runs.selftest_workload(
                "profile", {"read": 1.0}, bakeoff_runs.RECORDS, duration_s
            )
            record = bakeoff_runs.run_on(runner, "postgres", endpoint, workload)
            return bakeoff_runs.measured_of(record)

        print(f"load average at start: {os.getloadavg()[0]:.2f}")
        bakeoff(3.0)  # loads the table, reused from here on
        pgbench(endpoint, 1, 1.0)  # creates and vacuums pgbench's table
        for round_ in range(args.rounds):
            for tool in ("pgbench", "bakeoff"):
                data = Path(tmp) / f"{tool}{round_}.data"
                perf = sampled(data, (args.duration - SAMPLED_S) / 2)
                if tool == "pgbench":
                    measured = run_pgbench(endpoint, CONNECTIONS, args.duration, ["-S"])
                else:
                    measured = bakeoff(args.duration)
                perf.join()
                split = shares(data)
                engine, client = split.get("postgres", 0.0), split.get(CLIENTS[tool], 0.0)
                per_read = cores / measured.ops_per_s * 1e6
                print(
                    f"{tool:8s} round {round_}: {measured.ops_per_s:8,.0f} reads/s; samples:"
                    f" postgres {engine:4.0%}, client {client:4.0%},"
                    f" idle {split.get('swapper', 0.0):4.0%}; CPU per read:"
                    f" engine {engine * per_read:5.1f} µs, client {client * per_read:5.1f} µs",
                    flush=True,
                )
        print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
