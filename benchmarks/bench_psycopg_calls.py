"""Point reads on PostgreSQL through psycopg 3 call styles and through bakeoff's SQL and
PostgreSQL adapters, one connection: ops/s and client CPU µs per operation, with the
ratio of each to the plain cursor. Starts its own PostgreSQL container (the project's
image).

The split-phase styles send, wait for the socket (select) and collect the reply, as the
epoll loop does: bare libpq calls (the floor through psycopg), the same returning the
record as the adapter does, and the adapter's send_read / receive. The styles run in
turns of --block operations, each turn's CPU read from the thread's clock, and the
median turn is printed: on a shared machine, a burst of load then costs every style
alike instead of the one that was running.

Run: python benchmarks/bench_psycopg_calls.py [--ops 20000] [--block 500]
"""

from __future__ import annotations

import argparse
import select
import statistics
import time
from collections.abc import Callable

import psycopg

from bakeoff.adapters.postgres import PostgresAdapter
from bakeoff.adapters.protocol import PENDING, TableSpec
from bakeoff.adapters.sql import SqlAdapter
from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.container import ContainerProvisioner
from bakeoff.engines.images import local_image

RECORDS = 10_000


def _split_styles(
    pgconn: psycopg.pq.abc.PGconn, pg_adapter: PostgresAdapter
) -> dict[str, Callable[[str], object]]:
    fd = pgconn.socket
    tuples_ok = int(psycopg.pq.ExecStatus.TUPLES_OK)

    def bare(key: str) -> object:
        pgconn.send_query_prepared(b"point_read", [key.encode()])
        select.select([fd], [], [])
        pgconn.consume_input()
        while pgconn.is_busy():
            select.select([fd], [], [])
            pgconn.consume_input()
        result = pgconn.get_result()
        while pgconn.get_result() is not None:
            pass
        return result.get_value(0, 0) if result is not None else None

    def as_record(key: str) -> object:
        pgconn.send_query_prepared(b"point_read", [key.encode()])
        select.select([fd], [], [])
        pgconn.consume_input()
        while pgconn.is_busy():
            select.select([fd], [], [])
            pgconn.consume_input()
        result = pgconn.get_result()
        while pgconn.get_result() is not None:
            pass
        if result is None or result.status != tuples_ok:
            raise RuntimeError("read failed")
        if not result.ntuples:
            return None
        value = result.get_value(0, 0)
        return {"field0": None if value is None else value.decode()}

    adapter_fd = pg_adapter.fileno()

    def adapter(key: str) -> object:
        pg_adapter.send_read("usertable", key, None)
        select.select([adapter_fd], [], [])
        result = pg_adapter.receive()
        while result is PENDING:
            select.select([adapter_fd], [], [])
            result = pg_adapter.receive()
        return result

    return {
        "split: bare pgconn calls": bare,
        "split: pgconn, as a record": as_record,
        "split: PostgresAdapter": adapter,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ops", type=int, default=20_000, help="per style")
    parser.add_argument("--block", type=int, default=500, help="operations per turn")
    args = parser.parse_args()
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
                **_split_styles(pgconn, pg_adapter),
            }
            turns: dict[str, list[tuple[float, float]]] = {name: [] for name in styles}
            for turn in range(max(1, args.ops // args.block)):
                keys = [f"user{(turn * args.block + i) % RECORDS:012d}" for i in range(args.block)]
                for name, call in styles.items():
                    cpu, start = time.thread_time(), time.perf_counter()
                    for key in keys:
                        call(key)
                    wall = time.perf_counter() - start
                    turns[name].append(
                        (args.block / wall, (time.thread_time() - cpu) / args.block * 1e6)
                    )
            results = {
                name: (statistics.median(r for r, _ in t), statistics.median(c for _, c in t))
                for name, t in turns.items()
            }
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
