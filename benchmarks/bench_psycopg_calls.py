"""Point reads on PostgreSQL through psycopg 3 call styles and through bakeoff's SQL and
PostgreSQL adapters, one connection: ops/s and client CPU µs per operation, with the
ratio of each to the plain cursor. Starts its own PostgreSQL container (the project's
image).

Run: python benchmarks/bench_psycopg_calls.py [--ops 20000]
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable

import psycopg

from bakeoff.adapters.postgres import PostgresAdapter
from bakeoff.adapters.protocol import TableSpec
from bakeoff.adapters.sql import SqlAdapter
from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.container import ContainerProvisioner
from bakeoff.engines.images import local_image

RECORDS = 10_000


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ops", type=int, default=20_000)
    ops = parser.parse_args().ops
    with ContainerProvisioner(engine_spec("postgres"), image=local_image("postgres")) as ep:
        adapter = SqlAdapter()
        adapter.connect(ep, {})
        pg_adapter = PostgresAdapter()
        pg_adapter.connect(ep, {})
        table = TableSpec("usertable", ("field0",), 100)
        adapter.setup(table)
        rows = [(f"user{i:012d}", {"field0": "x" * 100}) for i in range(RECORDS)]
        adapter.insert_batch("usertable", rows)
        pg_adapter.setup(table)
        with psycopg.connect(ep.url.replace("postgresql+psycopg", "postgresql")) as conn:
            conn.autocommit = True
            cursor = conn.cursor()
            raw = psycopg.RawCursor(conn)
            sql = "SELECT field0 FROM usertable WHERE ycsb_key = %s"
            pgconn = conn.pgconn
            pgconn.prepare(b"point_read", b"SELECT field0 FROM usertable WHERE ycsb_key = $1")
            styles: dict[str, Callable[[str], object]] = {
                "cursor.execute": lambda k: cursor.execute(sql, (k,)).fetchall(),
                "cursor.execute prepare=True": lambda k: cursor.execute(
                    sql, (k,), prepare=True
                ).fetchall(),
                "RawCursor prepare=True": lambda k: raw.execute(
                    "SELECT field0 FROM usertable WHERE ycsb_key = $1", (k,), prepare=True
                ).fetchall(),
                "pgconn.exec_prepared": lambda k: pgconn.exec_prepared(
                    b"point_read", [k.encode()]
                ).get_value(0, 0),
                "bakeoff SqlAdapter.read": lambda k: adapter.read("usertable", k, None),
                "bakeoff PostgresAdapter.read": lambda k: pg_adapter.read("usertable", k, None),
            }
            results = {}
            for name, call in styles.items():
                cpu, start = _cpu(), time.perf_counter()
                for i in range(ops):
                    call(f"user{i % RECORDS:012d}")
                wall = time.perf_counter() - start
                results[name] = (ops / wall, (_cpu() - cpu) / ops * 1e6)
        adapter.teardown(table)
        adapter.close()
        pg_adapter.close()
    base_rate, base_cpu = results["cursor.execute"]
    for name, (rate, cpu) in results.items():
        print(
            f"{name:30s} {rate:8.0f} ops/s ({rate / base_rate:4.2f}x)  "
            f"cpu {cpu:5.1f} µs/op ({cpu / base_cpu:4.2f}x)"
        )


if __name__ == "__main__":
    main()
