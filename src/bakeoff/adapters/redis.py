"""The Redis adapter: YCSB records as hashes, a sorted set as the key index.

Data model
    A record is a hash at ``<table>:<key>`` whose hash fields are the record's fields; the
    table prefix lets several tables share one database. Redis has no tables, no ordered
    key space and no secondary indexes, so ordered scans need an index the adapter keeps
    itself: a sorted set ``<table>:__index`` holding every key with score 0, which Redis
    orders lexicographically (byte order, the same order as Python's ``str`` comparison
    for UTF-8 keys). A scan is ``ZRANGE index [start + BYLEX LIMIT 0 count`` (Redis 6.2
    or later) followed by one pipelined HGETALL/HMGET per key.

    The index costs one extra write per insert (ZADD) and per delete (ZREM). Both go in
    the same MULTI/EXEC as the hash write, so the two never diverge, and the whole
    transaction is sent as one pipelined packet: still one round trip. The record key
    ``__index`` is therefore reserved (UnsupportedError), and table names may not contain
    ``:`` so one table's keys can never be another's.

Semantics
    Redis writes are upserts: a second insert of a key overwrites it (the conformance suite
    allows this), and update is a plain HSET, as in YCSB's own Redis binding. An update of
    an absent key thus creates a partial record that is readable but not in the index
    (scans and counts do not see it); teardown removes such records too. Records a scan
    lists but another connection deletes before their fields are fetched are left out.

Settings are not the adapter's business: persistence (``appendonly``, ``save``), memory
limits and I/O threads are server configuration, set by the provisioner from the engine's
knobs and recorded with the endpoint. Driver settings such as ``socket_timeout`` go in
the URL's query string (``redis://host:6379/0?socket_timeout=2``), which redis-py parses.

Call path
    Each adapter owns one bare ``redis.Connection`` (RESP2, hiredis parser,
    ``decode_responses=True`` so hiredis returns ``str``). The table below chose it over
    the ``Redis`` client, when the adapter still called its ``send_command`` and
    ``read_response``; since then the timed operations read and write that connection's
    socket directly, through redis-py's own hiredis reader (adapters/redis_wire.py says
    why and where redis-py's calls remain). The ``Redis`` client's methods add a
    connection-pool checkout, option handling and response callbacks to every call.
    Measured with ``benchmarks/bench_redis_calls.py`` (redis-py 8.1, hiredis 3.5, Redis
    7.0.15 on the same 2-core machine, one connection, 10 fields of 100 bytes; wall µs
    per operation, best of 9 runs; the client's own CPU µs, median, in brackets):

    ================ ============ ============ ============ ============ ==============
    style            HGETALL      HMGET 1      HSET 1       insert txn   scan 10
    ================ ============ ============ ============ ============ ==============
    Redis (pooled)   31.5 (22.4)  29.0 (19.6)  29.0 (18.7)  50.3 (46.1)  133.6 (130.4)
    Redis single     25.5 (16.2)  23.5 (14.2)  23.3 (13.4)  50.0 (52.4)  129.6 (114.3)
    execute_command  24.7 (16.2)  22.5 (13.3)  23.1 (13.1)  52.4 (55.8)  136.3 (129.2)
    Connection RESP2 21.4 (12.0)  19.8 (10.4)  20.1 (10.5)  31.9 (31.7)   90.7  (84.5)
    Connection RESP3 23.0 (13.2)  19.9 (10.4)  20.1 (10.2)  32.2 (19.3)   93.5  (93.8)
    this adapter     21.3 (12.3)  20.3 (10.8)  20.5 (10.6)  32.2 (19.5)   80.2  (80.2)
    ================ ============ ============ ============ ============ ==============

    The bare connection saves 3-10 µs of wall time and about a third of the client's
    CPU per call, and a third or more on pipelines (insert, scan), for which the client
    builds a Pipeline object each time. RESP3 (hashes arrive as dicts built by hiredis) was no
    faster than RESP2 plus pairing the flat reply in Python, and no faster on scans in
    any run; RESP2 also works with every Redis-protocol server, so it is the choice.
    Wrapping a batch insert in MULTI/EXEC cost nothing measurable (about 9.5 µs a row
    with or without it, batches of 100 and 1000).

    Every operation is its request (``send_*``) and its reply (``receive``); the blocking
    calls are the two in a row, and the harness's split-phase loop sends on many
    connections from one thread and reads each reply when its socket is readable. A
    reply that has begun to arrive is read to its end with a blocking read (the server
    writes it whole), and a scan's second round trip is sent from ``receive``.

Errors
    redis-py's TimeoutError is transient (redis-py drops the connection and the next
    call reconnects, inside its own timed call); so are a server error reply
    (ResponseError: BUSY, OOM, WRONGTYPE, ...) and BusyLoadingError (the server is up
    but still loading its data set). Any other ConnectionError means the server is gone:
    fatal, as is every other RedisError.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar

from bakeoff.adapters.errors import FatalError, missing_driver
from bakeoff.adapters.protocol import PENDING, Capability, Endpoint, Record, TableSpec
from bakeoff.adapters.redis_keys import INDEX_NAME, glob_escape, record_key
from bakeoff.adapters.redis_sentinel import discover_master, follows_sentinel
from bakeoff.adapters.redis_split import RedisRequests, flatten_values, index_entries
from bakeoff.adapters.redis_wire import NotConnected, raise_translated

TEARDOWN_CHUNK = 1000
"""Keys deleted per round trip in teardown: large enough to be quick, small enough that
one UNLINK does not stall the server for other clients."""


def open_connection(endpoint: Endpoint, *, primary: bool = True) -> Any:
    """A bare redis-py connection to `endpoint` (RESP2, replies as `str`), checked with a
    PING; FatalError when the driver is missing or the server cannot be reached. With
    `primary` and a Sentinel group behind the endpoint, to the primary the Sentinels
    name (adapters/redis_sentinel.py)."""
    try:
        import redis  # lazily: importing the adapter must not need the driver
        from redis.connection import parse_url
    except ModuleNotFoundError as exc:
        raise missing_driver(endpoint.engine, exc, "redis") from exc
    if primary and follows_sentinel(endpoint):
        endpoint = discover_master(endpoint)
    try:
        kwargs: dict[str, Any] = parse_url(endpoint.url)  # type: ignore[no-untyped-call]
    except ValueError:
        # `from None`: the parser's message may quote the URL, password and all.
        raise FatalError(f"not a Redis URL: {endpoint.display_url}") from None
    connection_class = kwargs.pop("connection_class", redis.Connection)
    conn = connection_class(**kwargs, protocol=2, decode_responses=True)
    try:
        conn.connect()
        # A server that wants a password only says so on the first command: ask now,
        # so a missing password fails here and not as errors counted during the run.
        conn.send_command("PING")
        conn.read_response()
    except redis.RedisError as exc:
        raise FatalError(
            f"cannot connect to {endpoint.engine} at {endpoint.display_url}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    return conn


# -- the adapter ----------------------------------------------------------------------


class RedisAdapter(RedisRequests):
    """YCSB table on Redis: hashes for records, a lexicographic sorted set for scans."""

    name: ClassVar[str] = "redis"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.SCAN,
            Capability.ORDERED_SCAN,
            Capability.BATCH_INSERT,
            Capability.DELETE,
            Capability.COUNT,
            Capability.SPLIT_PHASE,
            Capability.EXISTS,
        }
    )

    _replica: Any = None
    """The replica's connection when reads go there (`Endpoint.read_url`)."""

    # -- lifecycle -------------------------------------------------------------------

    def connect(self, endpoint: Endpoint, options: Mapping[str, str]) -> None:
        conn = open_connection(endpoint)
        self.close()
        self._use_driver(conn)
        if endpoint.read_url is not None:
            # As an application with a read replica does: a second connection for reads.
            replica = replace(endpoint, url=endpoint.read_url)
            self._replica = open_connection(replica, primary=False)

    def setup(self, table: TableSpec) -> None:
        # Nothing to create: hashes and the index appear with the first insert.
        self._prefix(table.name)

    def teardown(self, table: TableSpec) -> None:
        prefix = self._prefix(table.name)
        index = prefix + INDEX_NAME
        try:
            while True:
                members = self._call("ZRANGE", index, 0, TEARDOWN_CHUNK - 1)
                if not members:
                    break
                self._exchange(
                    [("UNLINK", *(prefix + m for m in members)), ("ZREM", index, *members)]
                )
            # Records that updates created without an insert are in no index: find them
            # by name. SCAN walks the whole database, which teardown (never timed) can
            # afford; a fresh container per trial makes it short.
            cursor = "0"
            pattern = glob_escape(prefix) + "*"
            while True:
                cursor, keys = self._call("SCAN", cursor, "MATCH", pattern, "COUNT", 1000)
                if keys:
                    self._call("UNLINK", *keys)
                if cursor == "0":
                    break
        except self._driver_error as exc:
            raise_translated(exc)

    def close(self) -> None:
        replica, self._replica = self._replica, None
        if replica is not None:
            replica.disconnect()
        conn, self._conn = self._conn, NotConnected()
        self._bind()
        if not isinstance(conn, NotConnected):
            conn.disconnect()

    # -- operations ------------------------------------------------------------------
    # Each operation is its request (send_*) followed by its reply (receive): the same
    # code serves the blocking calls and the split-phase loop (SplitPhase).

    def read(self, table: str, key: str, fields: Sequence[str] | None) -> Record | None:
        if self._replica is not None:
            return self._on_replica(self.read, table, key, fields)  # type: ignore[return-value]
        self.send_read(table, key, fields)
        return self._receive_now()  # type: ignore[return-value]

    def insert(self, table: str, key: str, values: Mapping[str, str]) -> None:
        self.send_insert(table, key, values)
        self._receive_now()

    def insert_batch(self, table: str, rows: Sequence[tuple[str, Mapping[str, str]]]) -> None:
        if not rows:
            return
        prefix = self._prefix(table)
        commands: list[tuple[object, ...]] = [
            ("HSET", record_key(prefix, key), *flatten_values(values, key)) for key, values in rows
        ]
        # One ZADD for the batch; MULTI/EXEC makes the batch all-or-nothing if the
        # connection drops mid-send (the server runs nothing before EXEC arrives).
        commands.append(("ZADD", prefix + INDEX_NAME, *index_entries(rows)))
        self._send_transaction(commands)
        self._receive_now()

    def update(self, table: str, key: str, values: Mapping[str, str]) -> None:
        self.send_update(table, key, values)
        self._receive_now()

    def delete(self, table: str, key: str) -> None:
        self.send_delete(table, key)
        self._receive_now()

    def exists(self, table: str, key: str) -> bool:
        self.send_exists(table, key)
        return self._receive_now()  # type: ignore[return-value]

    def scan(
        self, table: str, start_key: str, count: int, fields: Sequence[str] | None
    ) -> list[tuple[str, Record]]:
        if self._replica is not None:
            rows = self._on_replica(self.scan, table, start_key, count, fields)
            return rows  # type: ignore[return-value]
        self.send_scan(table, start_key, count, fields)
        rows = self._receive_now()
        while rows is PENDING:  # the index lookup is done, the records are requested
            rows = self._receive_now()
        return rows  # type: ignore[return-value]

    def _on_replica(self, operation: Callable[..., object], *args: object) -> object:
        """`operation` on the replica's connection (blocking calls only: the runner does
        not split phases when reads go to a replica)."""
        primary, replica = self._conn, self._replica
        self._conn, self._replica = replica, None
        try:
            return operation(*args)
        finally:
            self._conn, self._replica = primary, replica

    def count_records(self, table: str) -> int:
        index = self._prefix(table) + INDEX_NAME
        try:
            return int(self._call("ZCARD", index))
        except self._driver_error as exc:
            raise_translated(exc)
