"""PyMySQL against mysqlclient (MySQLdb) on the same MariaDB server: YCSB-style point
reads and single-field updates through bakeoff's SQL adapter, one connection.

Starts its own MariaDB container (the project's image). Prints ops/s per driver and the
ratio to PyMySQL, alternating drivers over several rounds so drift hits both alike.

Run: python benchmarks/bench_mysql_drivers.py [--rounds 5] [--ops 5000]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

from bakeoff.adapters.protocol import Endpoint, TableSpec
from bakeoff.adapters.sql import SqlAdapter
from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.container import ContainerProvisioner
from bakeoff.engines.images import build_images

DRIVERS = {"pymysql": "mysql+pymysql", "mysqlclient": "mysql+mysqldb"}


def measure(endpoint: Endpoint, scheme: str, ops: int) -> float:
    url = scheme + endpoint.url[endpoint.url.index("://") :]
    adapter = SqlAdapter()
    adapter.connect(dataclasses.replace(endpoint, url=url), {})
    table = TableSpec("usertable", tuple(f"field{i}" for i in range(10)), 100)
    adapter.setup(table)
    start = time.perf_counter()
    for i in range(ops):
        key = f"user{i % 1000:06d}"
        if i % 2:
            adapter.read("usertable", key, None)
        else:
            adapter.update("usertable", key, {"field3": "y" * 100})
    elapsed = time.perf_counter() - start
    adapter.close()
    return ops / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--ops", type=int, default=5000)
    args = parser.parse_args()
    image = next(r.image for r in build_images(["mariadb"]) if r.engine == "mariadb")
    with ContainerProvisioner(engine_spec("mariadb"), image=image) as endpoint:
        loader = SqlAdapter()
        loader.connect(endpoint, {})
        table = TableSpec("usertable", tuple(f"field{i}" for i in range(10)), 100)
        loader.setup(table)
        loader.insert_batch(
            "usertable",
            [(f"user{i:06d}", {f: "x" * 100 for f in table.field_names}) for i in range(1000)],
        )
        results: dict[str, list[float]] = {name: [] for name in DRIVERS}
        for _ in range(args.rounds):
            for name, scheme in DRIVERS.items():
                results[name].append(measure(endpoint, scheme, args.ops))
        loader.teardown(table)
        loader.close()
        print(f"MariaDB {endpoint.version}, 50% read / 50% update, 1 connection")
        base = statistics.median(results["pymysql"])
        for name, values in results.items():
            median = statistics.median(values)
            print(
                f"{name:12s} median {median:8.0f} ops/s  "
                f"(min {min(values):.0f}, max {max(values):.0f})  {median / base:.2f}x pymysql"
            )


if __name__ == "__main__":
    main()
