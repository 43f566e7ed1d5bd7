"""The Memcached adapter against a real memcached server in a container.

One container serves most tests (tables get fresh names per test); two small ones show
what the default knob `disable-evictions` is for. The image is the project's own, built
from docker/memcached if it is missing (seconds when cached).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from pymemcache.client.base import Client  # type: ignore[import-untyped]

from bakeoff.adapters.errors import FatalError, TransientError, UnsupportedError
from bakeoff.adapters.memcached import MemcachedAdapter, generation_key
from bakeoff.adapters.protocol import Adapter, Endpoint, TableSpec
from bakeoff.engines.images import docker_client
from bakeoff.testing import AdapterConformance, connected_adapter
from tests.conftest import ServerPool

pytestmark = pytest.mark.docker

FIELDS = ("field0", "field1", "field2", "field3")
SMALL = "4"
"""megabytes of item memory: a few dozen 50 kB values fill it"""


@pytest.fixture(scope="module")
def memcached_endpoint(servers: ServerPool) -> Endpoint:
    return servers.endpoint("memcached")


class TestMemcachedAdapter(AdapterConformance):
    @pytest.fixture
    def adapter_class(self) -> type[Adapter]:
        return MemcachedAdapter

    @pytest.fixture
    def endpoint(self, memcached_endpoint: Endpoint) -> Endpoint:
        return memcached_endpoint


# -- behaviour particular to Memcached ------------------------------------------------


@pytest.fixture
def table() -> TableSpec:
    return TableSpec(name=f"mc_{uuid.uuid4().hex[:10]}", field_names=FIELDS, max_field_length=8)


@pytest.fixture
def adapter(memcached_endpoint: Endpoint, table: TableSpec) -> Iterator[MemcachedAdapter]:
    with connected_adapter(MemcachedAdapter, memcached_endpoint, table) as adapter:
        yield adapter


def _raw(endpoint: Endpoint) -> Any:
    """A plain client beside the adapter, to look at the server."""
    host, _, port = endpoint.url.removeprefix("memcached://").rpartition(":")
    return Client((host, int(port)), default_noreply=False, timeout=5)


def _rec(tag: str) -> dict[str, str]:
    return {f: f"{tag}-{f}" for f in FIELDS}


def test_endpoint_reports_version_and_knobs_in_their_own_terms(
    memcached_endpoint: Endpoint,
) -> None:
    assert memcached_endpoint.version.startswith("1.6.")
    settings = memcached_endpoint.settings
    assert settings["memory-limit"] == "1024"  # read back from maxbytes
    assert settings["disable-evictions"] == "yes"  # read back from evictions=off
    assert settings["num_threads"].isdigit()
    assert memcached_endpoint.display_url == memcached_endpoint.url  # nothing to hide


def test_layout_is_one_json_item_per_record_under_the_generation(
    adapter: MemcachedAdapter, table: TableSpec, memcached_endpoint: Endpoint
) -> None:
    adapter.insert(table.name, "user 1", _rec("a"))
    raw = _raw(memcached_endpoint)
    generation = int(raw.get(generation_key(table.name)))
    item = raw.get(f"{table.name}:{generation}:user%201")
    assert (
        item == b'{"field0":"a-field0","field1":"a-field1","field2":"a-field2","field3":"a-field3"}'
    )
    raw.close()


def test_duplicate_insert_is_transient_and_keeps_the_first(
    adapter: MemcachedAdapter, table: TableSpec
) -> None:
    adapter.insert(table.name, "k", _rec("first"))
    with pytest.raises(TransientError, match="exists"):
        adapter.insert(table.name, "k", _rec("second"))
    assert adapter.read(table.name, "k", None) == _rec("first")


def test_batch_insert_overwrites_like_set(adapter: MemcachedAdapter, table: TableSpec) -> None:
    adapter.insert(table.name, "b1", _rec("old"))
    adapter.insert_batch(table.name, [("b1", _rec("new")), ("b2", _rec("two"))])
    assert adapter.read(table.name, "b1", None) == _rec("new")
    assert adapter.read(table.name, "b2", None) == _rec("two")


def test_update_of_absent_key_creates_nothing(adapter: MemcachedAdapter, table: TableSpec) -> None:
    adapter.update(table.name, "ghost", {"field0": "x"})
    assert adapter.read(table.name, "ghost", None) is None


def test_concurrent_partial_updates_lose_nothing(
    memcached_endpoint: Endpoint, adapter: MemcachedAdapter, table: TableSpec
) -> None:
    """Each worker rewrites its own field of one record: without CAS, a worker's
    read-modify-write would put back another's older value of a field it did not touch."""
    adapter.insert(table.name, "hot", _rec("start"))
    rounds = 200
    failures: list[BaseException] = []

    def worker(field: str) -> None:
        own = MemcachedAdapter()
        own.connect(memcached_endpoint, {})
        own.setup(table)
        try:
            for i in range(rounds):
                own.update(table.name, "hot", {field: str(i)})
        except BaseException as error:
            failures.append(error)
        finally:
            own.close()

    threads = [threading.Thread(target=worker, args=(f,)) for f in FIELDS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert adapter.read(table.name, "hot", None) == dict.fromkeys(FIELDS, str(rounds - 1))


def test_teardown_starts_a_new_generation(
    adapter: MemcachedAdapter, table: TableSpec, memcached_endpoint: Endpoint
) -> None:
    adapter.insert(table.name, "k", _rec("a"))
    raw = _raw(memcached_endpoint)
    before = int(raw.get(generation_key(table.name)))
    adapter.teardown(table)
    assert int(raw.get(generation_key(table.name))) == before + 1
    raw.close()
    # Another connection that set the table up earlier sees it empty after its setup.
    adapter.setup(table)
    assert adapter.read(table.name, "k", None) is None
    adapter.insert(table.name, "k", _rec("b"))
    assert adapter.read(table.name, "k", None) == _rec("b")


def test_scan_is_unsupported(adapter: MemcachedAdapter, table: TableSpec) -> None:
    with pytest.raises(UnsupportedError, match="cannot list keys"):
        adapter.scan(table.name, "", 10, None)


def test_value_over_the_item_limit_is_unsupported(
    adapter: MemcachedAdapter, table: TableSpec
) -> None:
    with pytest.raises(UnsupportedError, match="too large"):
        adapter.insert(table.name, "big", {"field0": "x" * (2 * 1024 * 1024)})
    adapter.insert(table.name, "small", _rec("a"))  # the connection is still in step
    assert adapter.read(table.name, "small", ["field1"]) == {"field1": "a-field1"}


def test_paused_server_times_out_transiently_then_answers(
    memcached_endpoint: Endpoint, table: TableSpec
) -> None:
    endpoint = Endpoint(
        engine="memcached",
        url=memcached_endpoint.url + "?timeout=0.2",
        display_url=memcached_endpoint.display_url,
    )
    container = docker_client().containers.get(memcached_endpoint.provenance["container_id"])
    with connected_adapter(MemcachedAdapter, endpoint, table) as adapter:
        container.pause()
        try:
            with pytest.raises(TransientError, match=r"[Tt]imeout|timed out"):
                adapter.read(table.name, "k", None)
        finally:
            container.unpause()
        assert adapter.read(table.name, "k", None) is None  # reconnected


def test_unreachable_server_is_fatal() -> None:
    url = "memcached://127.0.0.1:9?connect_timeout=1"  # discard port: nothing listens
    with pytest.raises(FatalError, match="cannot connect"):
        MemcachedAdapter().connect(Endpoint(engine="memcached", url=url, display_url=url), {})


# -- what the disable-evictions default is for ---------------------------------------


def _fill(
    endpoint: Endpoint, table: TableSpec, count: int
) -> tuple[int, int, list[TransientError]]:
    """Insert `count` records of 50 kB: how many were stored, how many can be read back,
    and the errors raised."""
    stored, errors = 0, list[TransientError]()
    with connected_adapter(MemcachedAdapter, endpoint, table) as adapter:
        for i in range(count):
            try:
                adapter.insert(table.name, f"k{i}", {"field0": "x" * 50_000})
                stored += 1
            except TransientError as error:
                errors.append(error)
        present = sum(adapter.read(table.name, f"k{i}", None) is not None for i in range(count))
    return stored, present, errors


def test_a_full_server_refuses_writes_instead_of_evicting(
    servers: ServerPool, table: TableSpec
) -> None:
    endpoint = servers.endpoint("memcached", {"memory-limit": SMALL, "threads": "2"})
    assert endpoint.settings["memory-limit"] == SMALL
    assert endpoint.settings["threads"] == "2"
    stored, present, errors = _fill(endpoint, table, 200)
    assert errors and "out of memory" in str(errors[0])
    assert 0 < present == stored < 200  # every record it accepted is still there


def test_with_evictions_on_records_vanish_without_an_error(
    servers: ServerPool, table: TableSpec
) -> None:
    endpoint = servers.endpoint("memcached", {"memory-limit": SMALL, "disable-evictions": "no"})
    assert endpoint.settings["disable-evictions"] == "no"
    stored, present, errors = _fill(endpoint, table, 200)
    assert errors == [] and stored == 200
    assert present < stored
