"""The Redis adapter's requests and replies: the split-phase half (SplitPhase), which its
blocking calls also use (a request, then its reply), on the connection `RedisWire`
reads and writes (adapters/redis_wire.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from bakeoff.adapters.errors import FatalError, UnsupportedError
from bakeoff.adapters.protocol import PENDING, Record
from bakeoff.adapters.redis_keys import (
    INDEX_NAME,
    fields_to_record,
    lex_lower_bound,
    pairs_to_record,
    record_key,
    table_prefix,
)
from bakeoff.adapters.redis_wire import RedisWire, raise_translated

# The two commands of YCSB's hot path, framed as hiredis's packer frames them (a unit
# test holds them to it): a template costs half of `pack_command` per operation.
_HGETALL = b"*2\r\n$7\r\nHGETALL\r\n$%d\r\n%s\r\n"
_HSET_ONE = b"*4\r\n$4\r\nHSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"


class RedisRequests(RedisWire):
    """One bare redis-py connection, each operation as its request and its reply."""

    def __init__(self) -> None:
        super().__init__()
        self._prefixes: dict[str, str] = {}
        # The operation in flight: how receive() reads its reply, and what it needs.
        self._reply: Callable[[Any], object] = _nothing_in_flight
        """Turns the first reply of the request in flight into the operation's result."""
        self._fields: Sequence[str] = ()
        self._expected = 0
        self._scan: tuple[str, Sequence[str] | None] = ("", None)
        self._scan_keys: list[str] = []

    def send_read(self, table: str, key: str, fields: Sequence[str] | None) -> None:
        name = record_key(self._prefix(table), key)
        if not fields:
            encoded = name.encode()
            self._write(_HGETALL % (len(encoded), encoded))
            self._reply = self._hash_reply
        else:
            self._request(("HMGET", name, *fields))
            self._fields = fields
            self._reply = self._fields_reply

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
        if len(values) == 1:
            ((field, value),) = values.items()
            n, f, v = name.encode(), field.encode(), value.encode()
            self._write(_HSET_ONE % (len(n), n, len(f), f, len(v), v))
        else:
            self._request(("HSET", name, *flatten_values(values, key)))
        self._reply = self._plain_reply

    def send_delete(self, table: str, key: str) -> None:
        prefix = self._prefix(table)
        self._send_transaction(
            [("DEL", record_key(prefix, key)), ("ZREM", prefix + INDEX_NAME, key)]
        )

    def send_exists(self, table: str, key: str) -> None:
        self._request(("EXISTS", record_key(self._prefix(table), key)))
        self._reply = self._exists_reply

    def send_scan(
        self, table: str, start_key: str, count: int, fields: Sequence[str] | None
    ) -> None:
        prefix = self._prefix(table)
        self._request(
            ("ZRANGE", prefix + INDEX_NAME, lex_lower_bound(start_key), "+",
             "BYLEX", "LIMIT", 0, max(count, 0))
        )  # fmt: skip
        self._scan = (prefix, fields)
        self._reply = self._scan_index_reply

    def _request(self, command: tuple[object, ...]) -> None:
        self._write(self._pack(command))

    def receive(self) -> object:
        try:
            reader = self._reader
            if reader is not None and self._conn._sock is self._raw:
                self._feed_arrived()
                reply = reader.gets()
            else:
                reply = self._not_enough
            if reply is self._not_enough or isinstance(reply, Exception):
                reply = self._first_reply(reply)
            return self._reply(reply)
        except self._driver_error as exc:
            raise_translated(exc)

    def _receive_now(self) -> object:
        """The blocking calls' reply: what `receive` returns, waited for."""
        try:
            reader = self._reader
            if reader is not None and self._conn._sock is self._raw:
                reply = reader.gets()
            else:
                reply = self._not_enough
            if reply is self._not_enough or isinstance(reply, Exception):
                reply = self._first_reply(reply)
            return self._reply(reply)
        except self._driver_error as exc:
            raise_translated(exc)

    def _first_reply(self, reply: object) -> object:
        """The first reply when the reader did not have it whole, or it is an error.

        An error reply is raised (after dropping the connection for connection-level
        ones: LOADING, NOAUTH, ...), as redis-py's `read_response` raises it; for a
        request with several replies it is handed on, so that the rest are read first
        and the connection stays in step.
        """
        several = getattr(self._reply, "__func__", None) in _SEVERAL_REPLIES
        if reply is self._not_enough:
            try:
                return self._next()
            except self._response_error as exc:
                if several:
                    return exc
                raise
        if isinstance(reply, self._connection_error):
            self._drop()
        elif several:
            return reply
        raise cast("Exception", reply)

    # What receive() reads, set by the request that expects it.

    def _hash_reply(self, flat: list[str]) -> Record | None:
        return pairs_to_record(flat) if flat else None

    def _fields_reply(self, values: list[str | None]) -> Record | None:
        return fields_to_record(self._fields, values)

    def _plain_reply(self, reply: object) -> None:
        return None

    def _exists_reply(self, reply: int) -> bool:
        return bool(reply)

    def _transaction_reply(self, first: object) -> None:
        replies = self._read_replies(self._expected - 1, first)
        # EXEC's reply holds each command's result, errors (WRONGTYPE ...) included.
        for result in replies[-1]:
            if isinstance(result, Exception):
                raise result

    def _scan_index_reply(self, keys: list[str]) -> object:
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

    def _scan_records_reply(self, first: object) -> list[tuple[str, Record]]:
        keys, fields = self._scan_keys, self._scan[1]
        replies = self._read_replies(len(keys) - 1, first)
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

    def _exchange(self, commands: Sequence[tuple[object, ...]]) -> list[Any]:
        """Send all commands in one write, then read every reply."""
        self._send_all(commands)
        return self._read_replies(len(commands))

    def _send_all(self, commands: Sequence[tuple[object, ...]]) -> None:
        pack = self._pack
        self._send_bytes(b"".join([pack(command) for command in commands]))

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


_SEVERAL_REPLIES = frozenset({RedisRequests._transaction_reply, RedisRequests._scan_records_reply})
"""The reply readers of requests answered with more than one reply."""


def _nothing_in_flight(reply: object) -> object:
    raise FatalError("receive() without a request in flight")
