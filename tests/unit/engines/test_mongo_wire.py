"""The bare wire-protocol ping of the MongoDB readiness probe, against fake servers."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from bakeoff.engines.mongo_wire import wire_ping


@contextmanager
def fake_server(handle: Callable[[socket.socket], None]) -> Iterator[int]:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            handle(connection)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        thread.join(timeout=5)
        listener.close()


def _read_message(connection: socket.socket) -> bytes:
    header = connection.recv(16)
    length, _, _, opcode = struct.unpack("<iiii", header)
    assert opcode == 2013
    body = b""
    while len(body) < length - 16:
        body += connection.recv(length - 16 - len(body))
    return body


def test_a_reply_means_ready() -> None:
    def answer(connection: socket.socket) -> None:
        body = _read_message(connection)
        assert b"ping" in body and b"admin" in body
        connection.sendall(struct.pack("<iiii", 16, 7, 1, 2013))

    with fake_server(answer) as port:
        wire_ping("127.0.0.1", port, 2.0)


def test_a_dropped_connection_fails_at_once() -> None:
    # What docker's port proxy does while the server inside is not listening yet.
    with fake_server(lambda connection: None) as port, pytest.raises(ConnectionError):
        wire_ping("127.0.0.1", port, 2.0)
