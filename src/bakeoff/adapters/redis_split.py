"""The Redis adapter's requests and replies: the split-phase half (SplitPhase), which its
blocking calls also use (a request, then its reply)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn

from bakeoff.adapters.errors import AdapterError, FatalError, TransientError, UnsupportedError
from bakeoff.adapters.protocol import PENDING, Record
from bakeoff.adapters.redis_keys import (
    INDEX_NAME,
    fields_to_record,
    lex_lower_bound,
    pairs_to_record,
    record_key,
    table_prefix,
)


class _NeverRaisedError(Exception):
    """Stands in for redis.RedisError until the driver is imported."""


class NotConnected:
    """The connection before `connect` and after `close`: every call fails as fatal."""

    def _fail(self, *args: object, **kwargs: object) -> NoReturn:
        raise FatalError("the Redis adapter is not connected")

    send_command = send_packed_command = pack_commands = read_response = _fail


class RedisRequests:
    """One bare redis-py connection, each operation as its request and its reply."""

    def __init__(self) -> None:
        self._conn: Any = NotConnected()
        self._driver_error: type[Exception] = _NeverRaisedError
        self._response_error: type[Exception] = _NeverRaisedError
        self._prefixes: dict[str, str] = {}
        # The operation in flight: how receive() reads its reply, and what it needs.
        self._reply: Callable[[], object] = _nothing_in_flight
        self._fields: Sequence[str] = ()
        self._expected = 0
        self._scan: tuple[str, Sequence[str] | None] = ("", None)
        self._scan_keys: list[str] = []

    def fileno(self) -> int:
        # redis-py keeps the socket in `_sock` and has no public accessor for it.
        sock = getattr(self._conn, "_sock", None)
        if sock is None:
            raise FatalError("the Redis adapter is not connected")
        return int(sock.fileno())

    def send_read(self, table: str, key: str, fields: Sequence[str] | None) -> None:
        name = record_key(self._prefix(table), key)
        try:
            if not fields:
                self._conn.send_command("HGETALL", name)
                self._reply = self._hash_reply
            else:
                self._conn.send_command("HMGET", name, *fields)
                self._fields = fields
                self._reply = self._fields_reply
        except self._driver_error as exc:
            raise_translated(exc)

    def send_insert(self, table: str, key: str, values: Mapping[str, str]) -> None:
        prefix = self._prefix(table)
        self._send_transaction(
            [
                ("HSET", record_key(prefix, key), *flatten_values(values, key)),
                ("ZADD", prefix + INDEX_NAME, 0, key),
            ]
        )

    def send_update(self, table: str, key: str, values: Mapping[str, str]) -> None:
        name = record_key(self._prefix(table), key)
        flat = flatten_values(values, key)
        try:
            self._conn.send_command("HSET", name, *flat)
        except self._driver_error as exc:
            raise_translated(exc)
        self._reply = self._plain_reply

    def send_delete(self, table: str, key: str) -> None:
        prefix = self._prefix(table)
        self._send_transaction(
            [("DEL", record_key(prefix, key)), ("ZREM", prefix + INDEX_NAME, key)]
        )

    def send_exists(self, table: str, key: str) -> None:
        name = record_key(self._prefix(table), key)
        try:
            self._conn.send_command("EXISTS", name)
        except self._driver_error as exc:
            raise_translated(exc)
        self._reply = self._exists_reply

    def send_scan(
        self, table: str, start_key: str, count: int, fields: Sequence[str] | None
    ) -> None:
        prefix = self._prefix(table)
        try:
            self._conn.send_command(
                "ZRANGE", prefix + INDEX_NAME, lex_lower_bound(start_key), "+",
                "BYLEX", "LIMIT", 0, max(count, 0),
            )  # fmt: skip
        except self._driver_error as exc:
            raise_translated(exc)
        self._scan = (prefix, fields)
        self._reply = self._scan_index_reply

    def receive(self) -> object:
        try:
            return self._reply()
        except self._driver_error as exc:
            raise_translated(exc)

    # What receive() reads, set by the request that expects it.

    def _hash_reply(self) -> Record | None:
        flat = self._conn.read_response()
        return pairs_to_record(flat) if flat else None

    def _fields_reply(self) -> Record | None:
        return fields_to_record(self._fields, self._conn.read_response())

    def _plain_reply(self) -> None:
        self._conn.read_response()

    def _exists_reply(self) -> bool:
        return bool(self._conn.read_response())

    def _transaction_reply(self) -> None:
        replies = self._read_replies(self._expected)
        # EXEC's reply holds each command's result, errors (WRONGTYPE ...) included.
        for result in replies[-1]:
            if isinstance(result, Exception):
                raise result

    def _scan_index_reply(self) -> object:
        keys: list[str] = self._conn.read_response()
        if not keys:
            return []
        prefix, fields = self._scan
        if not fields:
            self._send_all([("HGETALL", prefix + k) for k in keys])
        else:
            self._send_all([("HMGET", prefix + k, *fields) for k in keys])
        self._scan_keys = keys
        self._reply = self._scan_records_reply
        return PENDING

    def _scan_records_reply(self) -> list[tuple[str, Record]]:
        keys, fields = self._scan_keys, self._scan[1]
        replies = self._read_replies(len(keys))
        if not fields:
            return [(k, pairs_to_record(r)) for k, r in zip(keys, replies, strict=True) if r]
        rows = []
        for k, r in zip(keys, replies, strict=True):
            record = fields_to_record(fields, r)
            if record is not None:
                rows.append((k, record))
        return rows

    # -- execution -------------------------------------------------------------------

    def _prefix(self, table: str) -> str:
        prefix = self._prefixes.get(table)
        if prefix is None:
            prefix = self._prefixes[table] = table_prefix(table)
        return prefix

    def _call(self, *args: object) -> Any:
        self._conn.send_command(*args)
        return self._conn.read_response()

    def _exchange(self, commands: Sequence[tuple[object, ...]]) -> list[Any]:
        """Send all commands in one write, then read every reply."""
        self._send_all(commands)
        return self._read_replies(len(commands))

    def _send_all(self, commands: Sequence[tuple[object, ...]]) -> None:
        conn = self._conn
        conn.send_packed_command(conn.pack_commands(commands))

    def _read_replies(self, n: int) -> list[Any]:
        """`n` replies. Every one is read even after an error reply, so the connection
        stays in step; the first error is raised afterwards."""
        read = self._conn.read_response
        replies: list[Any] = []
        first_error: Exception | None = None
        for _ in range(n):
            try:
                replies.append(read())
            except self._response_error as exc:
                first_error = first_error or exc
                replies.append(None)
        if first_error is not None:
            raise first_error
        return replies

    def _send_transaction(self, commands: list[tuple[object, ...]]) -> None:
        """`commands` in MULTI/EXEC, pipelined into one round trip; receive() checks it."""
        try:
            self._send_all([("MULTI",), *commands, ("EXEC",)])
        except self._driver_error as exc:
            raise_translated(exc)
        self._expected = len(commands) + 2
        self._reply = self._transaction_reply


def flatten_values(values: Mapping[str, str], key: str) -> list[str]:
    if not values:
        raise UnsupportedError(f"record {key!r} has no fields: Redis cannot store an empty hash")
    return [item for pair in values.items() for item in pair]


def index_entries(rows: Sequence[tuple[str, Mapping[str, str]]]) -> list[object]:
    return [item for key, _ in rows for item in (0, key)]


def _nothing_in_flight() -> object:
    raise FatalError("receive() without a request in flight")


def raise_translated(exc: Exception) -> NoReturn:
    """Raise `exc` (a redis-py error) as the adapter error of its kind."""
    from redis import exceptions as rx

    # BusyLoadingError subclasses ConnectionError, but the server is there and will
    # answer once its data set is loaded; every other ConnectionError means it is gone.
    transient = (rx.TimeoutError, rx.BusyLoadingError, rx.ResponseError)
    kind: type[AdapterError] = TransientError if isinstance(exc, transient) else FatalError
    raise kind(f"{type(exc).__name__}: {exc}") from exc
