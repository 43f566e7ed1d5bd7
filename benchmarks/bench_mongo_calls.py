"""Per-call cost of pymongo's call styles, to choose the ones the MongoDB adapter uses,
and the cost of a FerretDB scan against a point read.

Run against a throwaway server (it fills and then drops the collection ``bench_calls``):

    .venv/bin/python benchmarks/bench_mongo_calls.py --url mongodb://127.0.0.1:27017/bakeoff

Styles, all on one connection (``maxPoolSize=1``, no retries, as the adapter connects):

- ``collection``: the documented collection methods: ``find_one`` with a projection,
  ``update_one``, ``insert_one``, ``list(find(...).sort(...).limit(...))``.
- ``cursor``: ``next(find(filter, projection, limit=1), None)`` for reads; a plain
  cursor instead of ``find_one``'s (which adds ``limit(-1)`` and a generator).
- ``command``: the same operations as raw commands through ``Database.command``
  (``find`` with ``singleBatch``, ``update``, ``insert``), skipping cursor and result
  objects. It also skips the client's write concern and read preference, which would
  have to be added to every command by hand.
- ``adapter``: bakeoff's ``MongoAdapter`` on the same collection.

Then: ``insert_many`` of batches of 500 ordered and unordered (the load phase's batch),
and a 10-record scan against a point read at several collection sizes, which shows
whether the server pushes the ``_id`` range down (MongoDB does; FerretDB v1 does not).

Records are YCSB's default shape: 10 fields of 100 bytes. Prints microseconds per
operation: wall time (best and median of the repeats; the server shares the machine, so
the best is the cleaner number and the median shows the noise) and the client process's
CPU time (median).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import pymongo

from bakeoff.adapters.mongo import MongoAdapter
from bakeoff.adapters.protocol import Endpoint, TableSpec

TABLE = "bench_calls"
FIELDS = [f"field{i}" for i in range(10)]
RECORD = {name: "x" * 100 for name in FIELDS}
SCAN_LENGTH = 10
BATCH = 500

Op = Callable[[int], object]


def _key(i: int) -> str:
    return f"user{i:08d}"


class CollectionStyle:
    def __init__(self, db: Any) -> None:
        self.c = db[TABLE]

    def read_all(self, i: int) -> object:
        return self.c.find_one({"_id": _key(i)})

    def read_one(self, i: int) -> object:
        return self.c.find_one({"_id": _key(i)}, {"field3": 1})

    def update(self, i: int) -> object:
        return self.c.update_one({"_id": _key(i)}, {"$set": {"field3": "y" * 100}})

    def insert(self, i: int) -> object:
        return self.c.insert_one({"_id": f"new{i:08d}", **RECORD})

    def scan(self, i: int) -> object:
        return list(self.c.find({"_id": {"$gte": _key(i)}}, sort=[("_id", 1)], limit=SCAN_LENGTH))


class CursorStyle(CollectionStyle):
    def read_all(self, i: int) -> object:
        return next(self.c.find({"_id": _key(i)}, limit=1), None)

    def read_one(self, i: int) -> object:
        return next(self.c.find({"_id": _key(i)}, {"field3": 1}, limit=1), None)

    def scan(self, i: int) -> object:
        return list(
            self.c.find(
                {"_id": {"$gte": _key(i)}},
                sort=[("_id", 1)],
                limit=SCAN_LENGTH,
                batch_size=SCAN_LENGTH,
            )
        )


class CommandStyle:
    def __init__(self, db: Any) -> None:
        self.db = db

    def _find(self, spec: dict[str, Any]) -> list[Any]:
        reply = self.db.command({"find": TABLE, **spec, "singleBatch": True})
        return list(reply["cursor"]["firstBatch"])

    def read_all(self, i: int) -> object:
        return self._find({"filter": {"_id": _key(i)}, "limit": 1})

    def read_one(self, i: int) -> object:
        return self._find({"filter": {"_id": _key(i)}, "projection": {"field3": 1}, "limit": 1})

    def update(self, i: int) -> object:
        update = {"q": {"_id": _key(i)}, "u": {"$set": {"field3": "y" * 100}}}
        return self.db.command({"update": TABLE, "updates": [update]})

    def insert(self, i: int) -> object:
        document = {"_id": f"new{i:08d}", **RECORD}
        return self.db.command({"insert": TABLE, "documents": [document]})

    def scan(self, i: int) -> object:
        return self._find(
            {"filter": {"_id": {"$gte": _key(i)}}, "sort": {"_id": 1}, "limit": SCAN_LENGTH}
        )


class AdapterStyle:
    def __init__(self, adapter: MongoAdapter) -> None:
        self.a = adapter

    def read_all(self, i: int) -> object:
        return self.a.read(TABLE, _key(i), None)

    def read_one(self, i: int) -> object:
        return self.a.read(TABLE, _key(i), ["field3"])

    def update(self, i: int) -> object:
        self.a.update(TABLE, _key(i), {"field3": "y" * 100})
        return None

    def insert(self, i: int) -> object:
        self.a.insert(TABLE, f"new{i:08d}", RECORD)
        return None

    def scan(self, i: int) -> object:
        return self.a.scan(TABLE, _key(i), SCAN_LENGTH, None)


def measure(op: Op, n: int, offset: int, repeats: int, records: int) -> tuple[float, float, float]:
    """(best wall µs, median wall µs, median CPU µs) per call over `repeats` runs of `n`."""
    walls: list[float] = []
    cpus: list[float] = []
    for r in range(repeats):
        base = offset + r * n
        wall0, cpu0 = time.perf_counter_ns(), time.process_time_ns()
        for i in range(base, base + n):
            op(i % records if offset == 0 else i)
        walls.append((time.perf_counter_ns() - wall0) / n / 1000)
        cpus.append((time.process_time_ns() - cpu0) / n / 1000)
    return min(walls), statistics.median(walls), statistics.median(cpus)


def fill(db: Any, records: int) -> None:
    db.drop_collection(TABLE)
    collection = db[TABLE]
    for start in range(0, records, BATCH):
        rows = [{"_id": _key(i), **RECORD} for i in range(start, min(start + BATCH, records))]
        collection.insert_many(rows, ordered=False)


def sweep(db: Any, sizes: list[int]) -> None:
    print(
        "\nby collection size, µs per call (best / median): point operations on keys spread"
        " evenly over the collection, and a 10-record scan"
    )
    style = CollectionStyle(db)
    for size in sizes:
        fill(db, size)

        def spread(op: Op, size: int = size) -> Op:
            # A stride coprime to the size visits every key once per `size` calls, so a
            # server that scans until it finds the key pays the average distance.
            return lambda i: op((i * 7919) % size)

        n = max(5, min(200, 200_000 // size))
        read = measure(spread(style.read_all), n, 0, 3, size)
        update = measure(spread(style.update), n, 0, 3, size)
        scan = measure(style.scan, 5, 0, 3, size)
        print(
            f"  {size:>7} documents: read {read[0]:9.1f} / {read[1]:9.1f}"
            f"   update {update[0]:9.1f} / {update[1]:9.1f}"
            f"   scan {scan[0]:9.1f} / {scan[1]:9.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    # FerretDB reads the whole collection for every scan (about 1 s at 10 000 documents
    # here), so the style comparison uses a small one; the sweep below goes larger.
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--ops", type=int, default=2000)
    parser.add_argument("--scan-ops", type=int, default=10)
    parser.add_argument("--sweep", type=int, nargs="*", default=[100, 1000, 10_000])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    client: Any = pymongo.MongoClient(args.url, maxPoolSize=1, retryReads=False, retryWrites=False)
    db = client.get_default_database(default="bakeoff")
    info = client.admin.command("buildInfo")
    print(
        f"server {info.get('ferretdbVersion', '')} (MongoDB {info['version']}), "
        f"pymongo {pymongo.version}, C extensions {pymongo.has_c()}"
    )
    fill(db, args.records)
    adapter = MongoAdapter()
    adapter.connect(Endpoint(engine="bench", url=args.url, display_url=args.url), {})
    adapter.setup(TableSpec(TABLE, tuple(FIELDS), 100))

    styles: dict[str, Any] = {
        "collection": CollectionStyle(db),
        "cursor": CursorStyle(db),
        "command": CommandStyle(db),
        "adapter": AdapterStyle(adapter),
    }
    ping = measure(lambda i: db.command("ping"), args.ops, 0, args.repeats, args.records)
    print(f"ping (the round-trip floor): {ping[0]:.1f} / {ping[1]:.1f} ({ping[2]:.1f}) µs")
    print(f"µs per call: best / median wall, (median client CPU); {args.records} documents")
    header = ("read all", "read 1", "update 1", "insert", "scan 10")
    print(f"{'style':<12}" + "".join(f"{h:>26}" for h in header))
    fresh = 10_000_000
    for name, style in styles.items():
        cells = []
        for op_name in ("read_all", "read_one", "update", "insert", "scan"):
            n = args.scan_ops if op_name == "scan" else args.ops
            offset = 0
            if op_name == "insert":
                offset, fresh = fresh, fresh + n * args.repeats
            best, median, cpu = measure(
                getattr(style, op_name), n, offset, args.repeats, args.records
            )
            cells.append(f"{best:8.1f} / {median:8.1f} ({cpu:6.1f})")
            if op_name == "insert":
                # Back to `records` documents: FerretDB's scans cost grows with the count.
                db[TABLE].delete_many({"_id": {"$gte": "new", "$lt": "nex"}})
        print(f"{name:<12}" + "".join(f"{c:>26}" for c in cells))

    print(f"\ninsert_many of {BATCH} documents, µs per document (best / median of 5 batches):")
    for ordered in (True, False):
        times = []
        for r in range(5):
            rows = [{"_id": f"batch{ordered}{r}-{i:05d}", **RECORD} for i in range(BATCH)]
            t0 = time.perf_counter_ns()
            db[TABLE].insert_many(rows, ordered=ordered)
            times.append((time.perf_counter_ns() - t0) / BATCH / 1000)
        print(f"  ordered={ordered!s:<5}  {min(times):6.1f} / {statistics.median(times):6.1f}")

    sweep(db, args.sweep)
    adapter.close()
    db.drop_collection(TABLE)
    client.close()


if __name__ == "__main__":
    main()
