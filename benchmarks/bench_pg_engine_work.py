"""Where PostgreSQL's gap to pgbench -S lies at 8 connections: the engine's CPU per read.

On one container of the project's image: pgbench -S on its own table (2 threads, as the
selftest runs it, and 1 thread), pgbench running bakeoff's own point read over bakeoff's
rows (`bakeoff.selftest.native.pgbench_on_bakeoff_rows`), and bakeoff at 1 x 8, in
alternated rounds. bakeoff's table is loaded once, by a first trial whose figures are
printed apart, and reused after that. Engine CPU comes from the container's cgroup
around each run. Prints reads/s, and client and engine CPU per read.

Run (Docker and the engine images, `bakeoff images env`):
    python benchmarks/bench_pg_engine_work.py [--rounds 2] [--duration 8]
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable

from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.container import ContainerProvisioner
from bakeoff.engines.images import local_image
from bakeoff.engines.provisioning import EngineOptions
from bakeoff.harness.options import RunOptions
from bakeoff.harness.runner import TrialRunner
from bakeoff.selftest import bakeoff_runs
from bakeoff.selftest.measured import Measured
from bakeoff.selftest.native import pgbench, pgbench_on_bakeoff_rows, run_pgbench

CONNECTIONS = 8


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=float, default=8.0)
    args = parser.parse_args()
    spec = engine_spec("postgres")
    workload = bakeoff_runs.selftest_workload(
        "engine-work", {"read": 1.0}, bakeoff_runs.RECORDS, args.duration
    )
    # One runner for every trial: after the first, the loaded table is reused.
    runner = TrialRunner(
        RunOptions(
            processes=1, clients=CONNECTIONS, reuse=True, engine_options=EngineOptions(keep=True)
        )
    )
    image = os.environ.get("BAKEOFF_IMAGE_POSTGRES") or local_image("postgres")
    provisioner = ContainerProvisioner(spec, image=image)
    with provisioner as endpoint:
        print(f"load average at start: {os.getloadavg()[0]:.2f}")

        def engine_cpu() -> float:
            return provisioner.engine_cpu_seconds() or 0.0

        def bakeoff(label: str) -> None:
            before = engine_cpu()
            record = bakeoff_runs.run_on(runner, "postgres", endpoint, workload)
            spent = engine_cpu() - before
            measured = bakeoff_runs.measured_of(record)
            reads = sum(
                r.count
                for r in record.rows
                if r.phase.value == "measure" and r.latency_kind.value == "service"
            )
            print(
                f"{label:38s} {measured.ops_per_s:8,.0f} reads/s  client "
                f"{measured.cpu_us_per_op:5.1f} µs  engine {spent / reads * 1e6:5.1f} µs"
                f" per read{'' if 'load' not in label else ' (load included)'}"
            )

        def peer(label: str, run: Callable[[], Measured]) -> None:
            before = engine_cpu()
            measured = run()
            reads = measured.ops_per_s * int(args.duration)  # pgbench's tps over -T
            print(
                f"{label:38s} {measured.ops_per_s:8,.0f} reads/s  client "
                f"{measured.cpu_us_per_op:5.1f} µs  engine "
                f"{(engine_cpu() - before) / reads * 1e6:5.1f} µs per read"
            )

        bakeoff("bakeoff 1 x 8, just loaded")
        pgbench(endpoint, 1, 1.0)  # creates and vacuums pgbench's table, outside the rounds
        for _ in range(args.rounds):
            peer(
                "pgbench -S (the selftest's peer)",
                lambda: run_pgbench(endpoint, CONNECTIONS, args.duration, ["-S"]),
            )
            bakeoff("bakeoff 1 x 8, table reused")
            peer(
                "pgbench on bakeoff's rows",
                lambda: pgbench_on_bakeoff_rows(endpoint, CONNECTIONS, args.duration),
            )
            peer(
                "pgbench -S, 1 thread",
                lambda: run_pgbench(endpoint, CONNECTIONS, args.duration, ["-S"], threads=1),
            )
        print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
