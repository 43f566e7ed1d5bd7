"""The native peers: redis-benchmark and `pgbench -S -M prepared`.

Like for like: they run the operations bakeoff's adapters issue. For Redis that is
HGETALL / HSET of a one-field hash (bakeoff stores records as hashes), driven through
redis-benchmark's custom-command mode over the same keys; for PostgreSQL it is a point
SELECT by primary key, prepared, over a table of the same size (pgbench's own). pgbench's
own row is cheaper for the engine to find and send (an integer key, one integer column)
than bakeoff's (a 16-character key, a 100-byte field), so pgbench also runs the selftest's
own SELECT over bakeoff's table (`pgbench_on_bakeoff_rows`): the same work for the engine.
"""

from __future__ import annotations

import csv
import io
import os
import re
import statistics
import tempfile
from pathlib import Path

from bakeoff.adapters.protocol import Endpoint
from bakeoff.adapters.sql_statements import KEY_COLUMN
from bakeoff.harness.clients import usable_cores
from bakeoff.selftest.bakeoff_runs import FIELD_LENGTH, KEY_PREFIX, KEY_WIDTH, RECORDS, TABLE
from bakeoff.selftest.measured import Measured, children_cpu_s, host_port_password, run_peer

FIELD0 = "field0"
"""The selftest workload's one field (`fields: {count: 1}`)."""


def redis_benchmark(endpoint: Endpoint, connections: int, requests: int) -> Measured:
    """HGETALL and HSET, each a separate redis-benchmark test, combined 50/50."""
    host, port, password = host_port_password(endpoint.url)
    results: list[tuple[float, float, float]] = []
    key = f"{TABLE}:{KEY_PREFIX}__rand_int__"
    cpu_before = children_cpu_s()
    for command in (["HGETALL", key], ["HSET", key, FIELD0, "x" * FIELD_LENGTH]):
        out = run_peer(
            [
                *("redis-benchmark", "-h", host, "-p", str(port), "-a", password),
                *("-c", str(connections), "-n", str(requests // 2), "-r", str(RECORDS)),
                *("-P", "1", "--csv", *command),
            ],
            secret=password,
        )
        row = list(csv.DictReader(io.StringIO(out)))[-1]
        results.append(
            (
                float(row["rps"]),
                float(row["p50_latency_ms"]) * 1000,
                float(row["p99_latency_ms"]) * 1000,
            )
        )
    cpu = children_cpu_s() - cpu_before
    # A 50/50 mix spends, per pair of operations, one GET time and one SET time.
    rate = 2 / sum(1 / r for r, _, _ in results)
    return Measured(
        rate,
        statistics.mean(p for _, p, _ in results),
        # The worse of the two: a 50/50 mix's p99 lies between them, nearer the worse.
        max(p for _, _, p in results),
        cpu / requests * 1e6,
    )


def pgbench(endpoint: Endpoint, connections: int, duration_s: float) -> Measured:
    """`pgbench -S -M prepared` on pgbench's own table (scale 1: 100,000 rows)."""
    password = host_port_password(endpoint.url)[2]
    run_peer(
        ["pgbench", "-i", "-s", str(RECORDS // 100_000), "-q", *_pgbench_target(endpoint)],
        secret=password,
        env=_pgbench_env(password),
    )
    return run_pgbench(endpoint, connections, duration_s, ["-S"])


def pgbench_on_bakeoff_rows(
    endpoint: Endpoint, connections: int, duration_s: float, records: int = RECORDS
) -> Measured:
    """pgbench running bakeoff's point read, prepared, over the `records` rows bakeoff
    loaded (`bakeoff_rows_script`)."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql", encoding="utf-8") as file:
        file.write(bakeoff_rows_script(records))
        file.flush()
        return run_pgbench(endpoint, connections, duration_s, ["-f", file.name])


def bakeoff_rows_script(records: int) -> str:
    """A pgbench script: a uniform key `user` + 12 digits, its one field. The key is built
    in the statement (pgbench's variables are numbers), a concatenation per read."""
    return (
        f"\\set k random(0, {records - 1})\n"
        f"SELECT {FIELD0} FROM {TABLE} WHERE {KEY_COLUMN} = "
        f"'{KEY_PREFIX}' || lpad(:k::text, {KEY_WIDTH}, '0');\n"
    )


def _pgbench_target(endpoint: Endpoint) -> list[str]:
    host, port, _ = host_port_password(endpoint.url)
    return ["-h", host, "-p", str(port), "-U", "bakeoff", "bakeoff"]


def _pgbench_env(password: str) -> dict[str, str]:
    return {**os.environ, "PGPASSWORD": password}


def run_pgbench(
    endpoint: Endpoint,
    connections: int,
    duration_s: float,
    script: list[str],
    threads: int | None = None,
) -> Measured:
    """pgbench's `script` options (`-S`, `-f FILE`), prepared, on a table that exists; its
    threads one per connection up to the usable cores, unless `threads` says."""
    password = host_port_password(endpoint.url)[2]
    threads = threads or min(connections, usable_cores())
    with tempfile.TemporaryDirectory() as logs:
        cpu_before = children_cpu_s()
        out = run_peer(
            [
                *("pgbench", *script, "-M", "prepared", "-c", str(connections)),
                *("-j", str(threads), "-T", str(int(duration_s))),
                *("-l", "--log-prefix", str(Path(logs) / "pgbench"), *_pgbench_target(endpoint)),
            ],
            secret=password,
            env=_pgbench_env(password),
        )
        cpu = children_cpu_s() - cpu_before
        latencies = sorted(
            int(line.split()[2])
            for log in Path(logs).iterdir()
            for line in log.read_text(encoding="utf-8").splitlines()
        )
    match = re.search(r"tps = ([0-9.]+)", out)
    if match is None:
        raise RuntimeError(f"pgbench printed no tps: {out[-500:]}")
    return Measured(
        float(match.group(1)),
        statistics.median(latencies),
        float(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]),
        cpu / len(latencies) * 1e6,
    )
