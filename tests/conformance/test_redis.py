"""The Redis adapter against a real Redis server in a container.

One container serves the whole session (tables get fresh names per test). The image is
the project's own, built from docker/redis if it is missing (seconds when cached).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from bakeoff.adapters.errors import FatalError, TransientError, UnsupportedError
from bakeoff.adapters.protocol import Adapter, Endpoint, TableSpec
from bakeoff.adapters.redis import RedisAdapter
from bakeoff.testing import AdapterConformance, connected_adapter
from tests.conftest import ServerPool

pytestmark = pytest.mark.docker

FIELDS = ("field0", "field1")


@pytest.fixture(scope="module")
def redis_endpoint(servers: ServerPool) -> Endpoint:
    return servers.endpoint("redis")


class TestRedisAdapter(AdapterConformance):
    @pytest.fixture
    def adapter_class(self) -> type[Adapter]:
        return RedisAdapter

    @pytest.fixture
    def endpoint(self, redis_endpoint: Endpoint) -> Endpoint:
        return redis_endpoint


# -- behaviour particular to Redis ----------------------------------------------------


@pytest.fixture
def table() -> TableSpec:
    return TableSpec(name=f"redis_{uuid.uuid4().hex[:10]}", field_names=FIELDS, max_field_length=8)


@pytest.fixture
def adapter(redis_endpoint: Endpoint, table: TableSpec) -> Iterator[RedisAdapter]:
    with connected_adapter(RedisAdapter, redis_endpoint, table) as adapter:
        yield adapter


@pytest.fixture
def raw(redis_endpoint: Endpoint) -> Iterator[Any]:
    """A plain client beside the adapter, to look at and tamper with the server."""
    client = redis.Redis.from_url(redis_endpoint.url, decode_responses=True)
    try:
        yield client
    finally:
        client.close()


def _rec(tag: str) -> dict[str, str]:
    return {f: f"{tag}-{f}" for f in FIELDS}


def test_layout_is_hashes_plus_a_lex_index(
    adapter: RedisAdapter, table: TableSpec, raw: Any
) -> None:
    adapter.insert(table.name, "k1", _rec("a"))
    assert raw.hgetall(f"{table.name}:k1") == _rec("a")
    assert raw.zrange(f"{table.name}:__index", 0, -1, withscores=True) == [("k1", 0.0)]
    adapter.delete(table.name, "k1")
    assert raw.exists(f"{table.name}:k1", f"{table.name}:__index") == 0


def test_scan_orders_keys_with_bound_characters(adapter: RedisAdapter, table: TableSpec) -> None:
    keys = ["(a", "+", "-", "[b", "[", "a", "a[", "é", "z(", "zz"]
    for key in keys:
        adapter.insert(table.name, key, _rec(key))
    for start in keys:
        got = [k for k, _ in adapter.scan(table.name, start, 100, None)]
        assert got == sorted(k for k in keys if k >= start), start
    rows = adapter.scan(table.name, "[", 2, ["field1"])
    assert rows == [("[", {"field1": "[-field1"}), ("[b", {"field1": "[b-field1"})]


def test_batch_insert_is_indexed(adapter: RedisAdapter, table: TableSpec) -> None:
    rows = [(f"b{i:03d}", _rec(str(i))) for i in range(30)]
    adapter.insert_batch(table.name, list(reversed(rows)))
    assert adapter.count_records(table.name) == 30
    assert [k for k, _ in adapter.scan(table.name, "b010", 3, None)] == ["b010", "b011", "b012"]


def test_teardown_removes_records_outside_the_index(
    adapter: RedisAdapter, table: TableSpec, raw: Any
) -> None:
    adapter.insert(table.name, "indexed", _rec("a"))
    adapter.update(table.name, "phantom", {"field0": "x"})  # an upsert, as in YCSB
    assert adapter.count_records(table.name) == 1
    adapter.teardown(table)
    assert raw.keys(f"{table.name}:*") == []


def test_reserved_key_and_bad_table_names(adapter: RedisAdapter, table: TableSpec) -> None:
    with pytest.raises(UnsupportedError):
        adapter.insert(table.name, "__index", _rec("a"))
    with pytest.raises(UnsupportedError):
        adapter.delete(table.name, "__index")
    with pytest.raises(UnsupportedError):
        adapter.read("a:b", "k", None)


def test_error_reply_is_transient_and_connection_stays_in_step(
    adapter: RedisAdapter, table: TableSpec, raw: Any
) -> None:
    raw.set(f"{table.name}:str", "not a hash")
    with pytest.raises(TransientError, match="WRONGTYPE"):
        adapter.read(table.name, "str", None)
    with pytest.raises(TransientError, match="WRONGTYPE"):
        adapter.insert(table.name, "str", _rec("a"))
    with pytest.raises(TransientError, match="WRONGTYPE"):
        adapter.scan(table.name, "", 10, None)  # the failed insert still indexed "str"
    adapter.insert(table.name, "ok", _rec("ok"))
    assert adapter.read(table.name, "ok", None) == _rec("ok")
    raw.delete(f"{table.name}:str")


def test_timeout_is_transient_then_reconnects(
    redis_endpoint: Endpoint, table: TableSpec, raw: Any
) -> None:
    endpoint = Endpoint(
        engine="redis",
        url=redis_endpoint.url + "?socket_timeout=0.2",
        display_url=redis_endpoint.display_url,
    )
    adapter = RedisAdapter()
    adapter.connect(endpoint, {})
    try:
        raw.client_pause(1000)
        with pytest.raises(TransientError, match="Timeout"):
            adapter.read(table.name, "k", None)
        raw.client_unpause()
        assert adapter.read(table.name, "k", None) is None
    finally:
        raw.client_unpause()
        adapter.close()


def test_killed_connection_is_fatal(adapter: RedisAdapter, table: TableSpec, raw: Any) -> None:
    assert adapter.read(table.name, "k", None) is None
    raw.client_kill_filter(_type="normal", skipme=True)
    with pytest.raises(FatalError, match="ConnectionError"):
        adapter.read(table.name, "k", None)


def test_bad_password_is_fatal_without_leaking_it(redis_endpoint: Endpoint) -> None:
    host = redis_endpoint.url.rpartition("@")[2]
    endpoint = Endpoint(
        engine="redis",
        url=f"redis://:wrong-secret@{host}",
        display_url=f"redis://:***@{host}",
    )
    adapter = RedisAdapter()
    with pytest.raises(FatalError, match=r"\*\*\*") as raised:
        adapter.connect(endpoint, {})
    assert "wrong-secret" not in str(raised.value)
