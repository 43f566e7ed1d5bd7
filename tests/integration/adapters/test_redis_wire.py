"""The Redis adapter's direct I/O on redis-py's socket (adapters/redis_wire.py), at its
edges: a request larger than the socket takes at once, an error reply among several,
and a reply that arrives in pieces."""

from __future__ import annotations

import select
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from bakeoff.adapters.errors import TransientError
from bakeoff.adapters.protocol import PENDING, Endpoint, TableSpec
from bakeoff.adapters.redis import RedisAdapter
from bakeoff.testing import connected_adapter
from tests.conftest import ServerPool

pytestmark = pytest.mark.docker


@pytest.fixture
def table() -> TableSpec:
    return TableSpec(name=f"wire_{uuid.uuid4().hex[:10]}", field_names=("f",), max_field_length=8)


@pytest.fixture
def endpoint(servers: ServerPool) -> Endpoint:
    return servers.endpoint("redis")


@pytest.fixture
def adapter(endpoint: Endpoint, table: TableSpec) -> Iterator[RedisAdapter]:
    with connected_adapter(RedisAdapter, endpoint, table) as adapter:
        yield adapter


def _split_phase(adapter: RedisAdapter) -> object:
    """The reply as the split-phase loop collects it: receive when readable."""
    result: object = PENDING
    while result is PENDING:
        select.select([adapter.fileno()], [], [], 5.0)
        result = adapter.receive()
    return result


def test_a_request_larger_than_the_socket_buffer_goes_out_whole(
    adapter: RedisAdapter, table: TableSpec
) -> None:
    big = "x" * (8 << 20)
    adapter.send_update(table.name, "big", {"f": big})
    assert _split_phase(adapter) is None
    adapter.send_read(table.name, "big", None)
    assert _split_phase(adapter) == {"f": big}  # read back in many pieces
    adapter.insert(table.name, "big2", {"f": big})
    assert adapter.read(table.name, "big2", None) == {"f": big}


def test_an_error_reply_first_among_several_keeps_the_connection_in_step(
    adapter: RedisAdapter, table: TableSpec, endpoint: Endpoint
) -> None:
    adapter.insert(table.name, "b", {"f": "1"})
    adapter.insert(table.name, "a", {"f": "1"})
    raw: Any = redis.Redis.from_url(endpoint.url)
    try:
        raw.delete(f"{table.name}:a")
        raw.set(f"{table.name}:a", "not a hash")  # first in key order: its HGETALL fails
        adapter.send_scan(table.name, "", 10, None)
        with pytest.raises(TransientError, match="WRONGTYPE"):
            _split_phase(adapter)
        adapter.send_read(table.name, "b", None)
        assert _split_phase(adapter) == {"f": "1"}
    finally:
        raw.close()
