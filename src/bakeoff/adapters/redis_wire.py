"""The Redis adapter's connection: redis-py's, read and written directly where it can be.

I/O: the requests are packed by hiredis's ``pack_command`` (the packer redis-py itself
uses with hiredis installed) and the replies parsed by the ``hiredis.Reader`` of
redis-py's own parser, but on a plain socket the bytes go straight through its file
descriptor (``os.write``; in split phase ``os.readv`` of what has arrived, fed to that
reader). redis-py's ``send_command`` / ``read_response`` wrap the same work in about
2.5 µs of Python per operation, and with its default 5 s socket timeout CPython polls
the socket before every send and receive: two system calls more per operation than the
native tools make. Everything else stays redis-py's: it connects, authenticates and
reconnects; a reply that has only begun to arrive, TLS sockets, health checks and the
parser without hiredis all take its ``send_packed_command`` / ``read_response``.
"""

from __future__ import annotations

import os
import select
import socket
from collections.abc import Callable
from typing import Any, NoReturn, cast

from bakeoff.adapters.errors import AdapterError, FatalError, TransientError


class _NeverRaisedError(Exception):
    """Stands in for redis.RedisError until the driver is imported."""


class NotConnected:
    """The connection before `connect` and after `close`: every call fails as fatal."""

    _sock = None

    def _fail(self, *args: object, **kwargs: object) -> NoReturn:
        raise FatalError("the Redis adapter is not connected")

    send_command = send_packed_command = pack_commands = read_response = _fail


_READ_SIZE = 65536
"""Bytes read per receive: a whole reply of any operation but a long scan."""


def _pack_with_driver(conn: Any) -> Callable[[tuple[object, ...]], bytes]:
    """hiredis's packer when redis-py has hiredis, else redis-py's own."""
    try:
        import hiredis
    except ModuleNotFoundError:
        return lambda command: b"".join(conn.pack_command(*command))
    return cast("Callable[[tuple[object, ...]], bytes]", hiredis.pack_command)


def _not_enough_data() -> object:
    """What redis-py's hiredis reader returns for an incomplete reply (None: no hiredis)."""
    try:
        from redis._parsers.hiredis import NOT_ENOUGH_DATA
    except ImportError:
        return None
    return NOT_ENOUGH_DATA


class RedisWire:
    """One bare redis-py connection and the direct I/O on its socket."""

    def __init__(self) -> None:
        self._conn: Any = NotConnected()
        self._driver_error: type[Exception] = _NeverRaisedError
        self._response_error: type[Exception] = _NeverRaisedError
        # Direct I/O on the driver's socket (see the module's docstring): the socket it
        # applies to (None: redis-py's calls), its descriptor and the driver's reader.
        self._raw: Any = None
        self._fd = -1
        self._reader: Any = None
        self._buffer = bytearray(_READ_SIZE)
        self._buffers = [self._buffer]
        self._not_enough: object = None
        self._pack: Callable[[tuple[object, ...]], bytes] = _fail_to_pack
        self._connection_error: type[Exception] = _NeverRaisedError
        self._timeout_error: type[Exception] = _NeverRaisedError
        self._readable: Any = None
        """A poll of the socket, for waiting on a reply with the driver's timeout."""
        self._timeout_ms: int | None = None

    def _use_driver(self, conn: Any) -> None:
        """Operate on `conn`, a connected bare redis-py connection."""
        import redis

        self._conn = conn
        self._driver_error = redis.RedisError
        self._response_error = redis.ResponseError
        self._connection_error = redis.ConnectionError
        self._timeout_error = redis.TimeoutError
        self._pack = _pack_with_driver(conn)
        self._not_enough = _not_enough_data()
        self._bind()

    def _bind(self) -> None:
        """Direct I/O on the connection's current socket, where it applies."""
        conn = self._conn
        sock = getattr(conn, "_sock", None)
        reader = getattr(getattr(conn, "_parser", None), "_reader", None)
        if (
            type(sock) is socket.socket  # not TLS: its bytes are not the protocol's
            and reader is not None
            and self._not_enough is not None
            and not getattr(conn, "health_check_interval", 0)
        ):
            self._raw, self._fd, self._reader = sock, sock.fileno(), reader
            self._readable = select.poll()
            self._readable.register(self._fd, select.POLLIN)
            timeout = conn.socket_timeout
            self._timeout_ms = None if timeout is None else max(0, round(timeout * 1000))
        else:
            self._raw, self._fd, self._reader = None, -1, None

    def _drop(self) -> None:
        """The connection failed: redis-py's way (closed; the next request reconnects)."""
        self._raw, self._fd, self._reader = None, -1, None
        self._conn.disconnect()

    def fileno(self) -> int:
        # redis-py keeps the socket in `_sock` and has no public accessor for it.
        sock = getattr(self._conn, "_sock", None)
        if sock is None:
            raise FatalError("the Redis adapter is not connected")
        return int(sock.fileno())

    def _next(self) -> Any:
        """The next reply, waited for as redis-py's `read_response` waits (up to the
        driver's socket timeout, then TimeoutError and the connection dropped), and
        raised as it raises an error reply (dropping the connection for the
        connection-level ones: LOADING, NOAUTH, ...)."""
        reader = self._reader
        if reader is None or self._conn._sock is not self._raw:
            return self._conn.read_response()
        reply = reader.gets()
        while reply is self._not_enough:
            if not self._readable.poll(self._timeout_ms):
                self._drop()
                raise self._timeout_error("Timeout reading from socket")
            self._feed_arrived()
            reply = reader.gets()
        if isinstance(reply, Exception):
            if isinstance(reply, self._connection_error):
                self._drop()
            raise reply
        return reply

    def _feed_arrived(self) -> None:
        """Feed what has arrived on the socket to the reader, without waiting."""
        try:
            n = os.readv(self._fd, self._buffers)
        except BlockingIOError:
            return
        except OSError as exc:
            self._drop()
            raise self._connection_error(f"Error while reading from socket: {exc}") from exc
        if n == 0:
            self._drop()
            raise self._connection_error("Connection closed by server.")
        self._reader.feed(self._buffer, 0, n)

    def _send_bytes(self, data: bytes) -> None:
        sock = self._raw
        if sock is None or self._conn._sock is not sock:
            # Not connected (redis-py reconnects), a new socket, or not direct I/O.
            self._conn.send_packed_command([data])
            self._bind()
            return
        try:
            sent = os.write(self._fd, data)
        except BlockingIOError:
            sent = 0
        except OSError as exc:
            self._drop()
            raise self._connection_error(f"Error while writing to socket: {exc}") from exc
        if sent != len(data):  # the socket's buffer is full: redis-py waits for room
            self._conn.send_packed_command([data[sent:]])

    def _write(self, data: bytes) -> None:
        try:
            self._send_bytes(data)
        except self._driver_error as exc:
            raise_translated(exc)

    def _call(self, *args: object) -> Any:
        self._conn.send_command(*args)
        return self._conn.read_response()

    def _read_replies(self, n: int, *read_already: object) -> list[Any]:
        """The replies read already (an error reply among them as its exception), then
        `n` more. Every one is read even after an error reply, so the connection stays
        in step; the first error is raised afterwards."""
        read = self._next
        replies: list[Any] = []
        first_error: Exception | None = None
        for earlier in read_already:
            if isinstance(earlier, Exception):
                first_error = first_error or earlier
            replies.append(None if isinstance(earlier, Exception) else earlier)
        for _ in range(n):
            try:
                replies.append(read())
            except self._response_error as exc:
                first_error = first_error or exc
                replies.append(None)
        if first_error is not None:
            raise first_error
        return replies


def _fail_to_pack(command: tuple[object, ...]) -> bytes:
    raise FatalError("the Redis adapter is not connected")


def raise_translated(exc: Exception) -> NoReturn:
    """Raise `exc` (a redis-py error) as the adapter error of its kind."""
    from redis import exceptions as rx

    # BusyLoadingError subclasses ConnectionError, but the server is there and will
    # answer once its data set is loaded; every other ConnectionError means it is gone.
    transient = (rx.TimeoutError, rx.BusyLoadingError, rx.ResponseError)
    kind: type[AdapterError] = TransientError if isinstance(exc, transient) else FatalError
    raise kind(f"{type(exc).__name__}: {exc}") from exc
