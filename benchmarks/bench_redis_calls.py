"""Per-call cost of redis-py's call styles, to choose the one the Redis adapter uses.

Run against a throwaway Redis (it writes keys under ``bench_calls:`` and deletes them):

    .venv/bin/python benchmarks/bench_redis_calls.py --url redis://127.0.0.1:6379/0

Styles, all on one connection with hiredis installed:

- ``client``: ``Redis.from_url(...)`` and its command methods; every call checks a
  connection out of the pool and back in.
- ``client-single``: ``Redis(single_connection_client=True)``: the same methods, no pool.
- ``execute``: ``execute_command`` on the single-connection client (response callbacks
  still run).
- ``conn-resp2`` / ``conn-resp3``: a bare ``redis.Connection``, ``send_command`` then
  ``read_response``; hiredis decodes to str. RESP2 returns HGETALL as a flat list that
  Python pairs into a dict, RESP3 as a map hiredis builds into a dict itself.
- ``conn-resp3-bytes``: as ``conn-resp3`` but replies stay bytes and Python decodes them.
- ``adapter``: bakeoff's ``RedisAdapter`` (the ``conn-resp2`` path plus its own work), on
  the same keys: table ``bench_calls`` lays records and index out exactly as above.

Records are YCSB's default shape: 10 fields of 100 bytes. Prints microseconds per
operation: wall time (best and median of the repeats; the server shares the machine, so
the best is the cleaner number and the median shows the noise) and the client process's
CPU time (median), which is what limits how many workers one client machine can drive.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import redis
from redis.connection import parse_url

from bakeoff.adapters.protocol import Endpoint
from bakeoff.adapters.redis import RedisAdapter

PREFIX = "bench_calls"
INDEX = f"{PREFIX}:__index"
FIELDS = [f"field{i}" for i in range(10)]
RECORD = {name: "x" * 100 for name in FIELDS}
FLAT_RECORD = [item for pair in RECORD.items() for item in pair]
SCAN_LENGTH = 10

Op = Callable[[int], object]


def _key(i: int) -> str:
    return f"{PREFIX}:user{i:08d}"


class ClientStyle:
    def __init__(self, client: Any) -> None:
        self.r = client

    def read_all(self, i: int) -> object:
        return self.r.hgetall(_key(i))

    def read_one(self, i: int) -> object:
        return self.r.hmget(_key(i), ["field3"])

    def update(self, i: int) -> object:
        return self.r.hset(_key(i), mapping={"field3": "y" * 100})

    def insert(self, i: int) -> object:
        pipe = self.r.pipeline(transaction=True)
        pipe.hset(_key(i), mapping=RECORD)
        pipe.zadd(INDEX, {f"user{i:08d}": 0})
        return pipe.execute()

    def scan(self, i: int) -> object:
        members = self.r.zrange(INDEX, f"[user{i:08d}", "+", bylex=True, offset=0, num=SCAN_LENGTH)
        pipe = self.r.pipeline(transaction=False)
        for m in members:
            pipe.hgetall(f"{PREFIX}:{m}")
        return pipe.execute()


class ExecuteStyle(ClientStyle):
    def read_all(self, i: int) -> object:
        return self.r.execute_command("HGETALL", _key(i))

    def read_one(self, i: int) -> object:
        return self.r.execute_command("HMGET", _key(i), "field3")

    def update(self, i: int) -> object:
        return self.r.execute_command("HSET", _key(i), "field3", "y" * 100)


class ConnectionStyle:
    def __init__(self, conn: Any, *, flat_hashes: bool, decode: bool) -> None:
        self.c = conn
        self.flat = flat_hashes
        self.decode = decode
        conn.connect()

    def _call(self, *args: object) -> Any:
        self.c.send_command(*args)
        return self.c.read_response()

    def _hash(self, reply: Any) -> dict[str, str]:
        if self.flat:
            it = iter(reply)
            return dict(zip(it, it, strict=True))
        if self.decode:
            return {k.decode(): v.decode() for k, v in reply.items()}
        return dict(reply)

    def read_all(self, i: int) -> object:
        return self._hash(self._call("HGETALL", _key(i)))

    def read_one(self, i: int) -> object:
        reply = self._call("HMGET", _key(i), "field3")
        return [v.decode() for v in reply] if self.decode else reply

    def update(self, i: int) -> object:
        return self._call("HSET", _key(i), "field3", "y" * 100)

    def _pipeline(self, commands: list[tuple[object, ...]]) -> list[Any]:
        self.c.send_packed_command(self.c.pack_commands(commands))
        return [self.c.read_response() for _ in commands]

    def insert(self, i: int) -> object:
        return self._pipeline(
            [
                ("MULTI",),
                ("HSET", _key(i), *FLAT_RECORD),
                ("ZADD", INDEX, 0, f"user{i:08d}"),
                ("EXEC",),
            ]
        )[-1]

    def scan(self, i: int) -> object:
        members = self._call(
            "ZRANGE", INDEX, f"[user{i:08d}", "+", "BYLEX", "LIMIT", 0, SCAN_LENGTH
        )
        if self.decode:
            members = [m.decode() for m in members]
        return [
            self._hash(r) for r in self._pipeline([("HGETALL", f"{PREFIX}:{m}") for m in members])
        ]


class AdapterStyle:
    def __init__(self, url: str) -> None:
        self.a = RedisAdapter()
        self.a.connect(Endpoint(engine="redis", url=url, display_url="(bench)"), {})

    def read_all(self, i: int) -> object:
        return self.a.read(PREFIX, f"user{i:08d}", None)

    def read_one(self, i: int) -> object:
        return self.a.read(PREFIX, f"user{i:08d}", ["field3"])

    def update(self, i: int) -> object:
        self.a.update(PREFIX, f"user{i:08d}", {"field3": "y" * 100})
        return None

    def insert(self, i: int) -> object:
        self.a.insert(PREFIX, f"user{i:08d}", RECORD)
        return None

    def scan(self, i: int) -> object:
        return self.a.scan(PREFIX, f"user{i:08d}", SCAN_LENGTH, None)


def styles(url: str) -> dict[str, Any]:
    kwargs: dict[str, Any] = parse_url(url)  # type: ignore[no-untyped-call]

    def conn(protocol: int, decode: bool) -> Any:
        return redis.Connection(  # type: ignore[no-untyped-call]
            **kwargs, protocol=protocol, decode_responses=decode
        )

    return {
        "client": ClientStyle(redis.Redis.from_url(url, decode_responses=True)),
        "client-single": ClientStyle(
            redis.Redis(**kwargs, decode_responses=True, single_connection_client=True)
        ),
        "execute": ExecuteStyle(
            redis.Redis(**kwargs, decode_responses=True, single_connection_client=True)
        ),
        "conn-resp2": ConnectionStyle(conn(2, True), flat_hashes=True, decode=False),
        "conn-resp3": ConnectionStyle(conn(3, True), flat_hashes=False, decode=False),
        "conn-resp3-bytes": ConnectionStyle(conn(3, False), flat_hashes=False, decode=True),
        "adapter": AdapterStyle(url),
    }


def run(op: Op, n: int, offset: int) -> tuple[float, float]:
    """(wall, client CPU) microseconds per operation."""
    start, cpu_start = time.perf_counter_ns(), time.process_time_ns()
    for i in range(offset, offset + n):
        op(i)
    cpu = time.process_time_ns() - cpu_start
    return (time.perf_counter_ns() - start) / n / 1000, cpu / n / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="redis://[:password@]host:port/db")
    parser.add_argument("--ops", type=int, default=5000, help="operations per repeat")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--records", type=int, default=5000)
    args = parser.parse_args()

    all_styles = styles(args.url)
    loader = next(iter(all_styles.values()))
    for i in range(args.records):
        loader.insert(i)

    ops = ["read_all", "read_one", "update", "insert", "scan"]
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    next_new_key = args.records
    for op_name in ops:
        for _ in range(args.repeats):
            # Styles take turns within each repeat so drift in the shared machine's load
            # hits them all alike.
            for style_name, style in all_styles.items():
                n = args.ops if op_name != "scan" else max(args.ops // SCAN_LENGTH, 1)
                if op_name == "insert":
                    offset, next_new_key = next_new_key, next_new_key + n
                else:
                    offset = 0
                    n = min(n, args.records - SCAN_LENGTH)
                timing = run(getattr(style, op_name), n, offset)
                results.setdefault((op_name, style_name), []).append(timing)

    print(f"{'operation':<10} {'style':<18} {'best':>6} {'median':>7} {'client CPU':>11}")
    for (op_name, style_name), values in results.items():
        wall = [w for w, _ in values]
        cpu = statistics.median(c for _, c in values)
        print(
            f"{op_name:<10} {style_name:<18} {min(wall):6.1f} {statistics.median(wall):7.1f} "
            f"{cpu:11.1f}"
        )

    cleanup = redis.Redis.from_url(args.url)
    for key in cleanup.scan_iter(f"{PREFIX}:*", count=1000):
        cleanup.unlink(key)


if __name__ == "__main__":
    main()
