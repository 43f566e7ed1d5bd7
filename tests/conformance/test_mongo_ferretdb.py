"""The MongoDB adapter against FerretDB v1.24 (SQLite backend) in a container.

One container serves the whole module (tables get fresh names per test). The image is the
project's own, built from docker/ferretdb if it is missing: its prepare.sh compiles
FerretDB with the host's Go (about 50 s from nothing, 2-5 s when Go's caches are warm).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pymongo
import pytest

from bakeoff.adapters.errors import FatalError, TransientError, UnsupportedError
from bakeoff.adapters.mongo import MongoAdapter
from bakeoff.adapters.protocol import Adapter, Endpoint, TableSpec
from bakeoff.engines.images import (
    local_image,
)
from bakeoff.testing import AdapterConformance, connected_adapter
from tests.conftest import ServerPool, require_docker

pytestmark = pytest.mark.docker

FIELDS = ("field0", "field1", "field2")


@pytest.fixture(scope="module")
def ferretdb_endpoint(servers: ServerPool) -> Endpoint:
    if local_image("ferretdb") is None and shutil.which("go") is None:
        require_docker()  # without Docker, skip for that reason first
        pytest.skip("the FerretDB image is not built, and building it needs Go on the host")
    # A knob of each kind: one for the server's command line, one for the adapter.
    return servers.endpoint("ferretdb", {"log-level": "error", "w": "majority"})


class TestMongoAdapterOnFerretDB(AdapterConformance):
    @pytest.fixture
    def adapter_class(self) -> type[Adapter]:
        return MongoAdapter

    @pytest.fixture
    def endpoint(self, ferretdb_endpoint: Endpoint) -> Endpoint:
        return ferretdb_endpoint


# -- behaviour particular to MongoDB and FerretDB -----------------------------------


@pytest.fixture
def table() -> TableSpec:
    return TableSpec(name=f"mongo_{uuid.uuid4().hex[:10]}", field_names=FIELDS, max_field_length=8)


@pytest.fixture
def adapter(ferretdb_endpoint: Endpoint, table: TableSpec) -> Iterator[MongoAdapter]:
    with connected_adapter(MongoAdapter, ferretdb_endpoint, table) as adapter:
        yield adapter


@pytest.fixture
def raw(ferretdb_endpoint: Endpoint) -> Iterator[Any]:
    """A plain pymongo database beside the adapter, to look at and tamper with the server."""
    client: Any = pymongo.MongoClient(ferretdb_endpoint.url, serverSelectionTimeoutMS=5000)
    try:
        yield client.get_default_database()
    finally:
        client.close()


def _rec(tag: str) -> dict[str, str]:
    return {f: f"{tag}-{f}" for f in FIELDS}


def test_endpoint_names_ferretdb_and_records_client_settings(ferretdb_endpoint: Endpoint) -> None:
    assert ferretdb_endpoint.version.startswith("FerretDB v1.24.")
    assert "MongoDB 7.0" in ferretdb_endpoint.version  # the version it is compatible with
    settings = ferretdb_endpoint.settings
    assert settings["w"] == "majority"  # the knob, overriding the catalog's default
    assert settings["journal"] == "false"
    assert settings["readPreference"] == "primary"
    # A command-line knob: FerretDB cannot report it back.
    assert settings["log-level"] == "(unreadable)"
    assert "@" not in ferretdb_endpoint.url  # no credentials: FerretDB on SQLite has no auth
    assert ferretdb_endpoint.provenance["published"].startswith("127.0.0.1:")
    assert float(ferretdb_endpoint.provenance["start_to_ready_s"]) > 0


def test_client_applies_recorded_settings_and_options_override(
    ferretdb_endpoint: Endpoint,
) -> None:
    adapter = MongoAdapter()
    adapter.connect(ferretdb_endpoint, {"readPreference": "primaryPreferred", "journal": "true"})
    try:
        client = adapter._client
        assert client.write_concern.document == {"w": "majority", "j": True}
        assert client.read_preference.mongos_mode == "primaryPreferred"
        assert client.options.pool_options.max_pool_size == 1
        assert adapter.settings["w"] == "majority"
    finally:
        adapter.close()


def test_documents_use_the_key_as_id(adapter: MongoAdapter, table: TableSpec, raw: Any) -> None:
    adapter.insert(table.name, "k1", _rec("a"))
    assert raw[table.name].find_one({"_id": "k1"}) == {"_id": "k1", **_rec("a")}
    adapter.update(table.name, "k1", {"field1": "b"})
    assert raw[table.name].find_one({"_id": "k1"})["field1"] == "b"
    adapter.delete(table.name, "k1")
    assert raw[table.name].count_documents({}) == 0


def test_duplicate_insert_is_transient(adapter: MongoAdapter, table: TableSpec) -> None:
    adapter.insert(table.name, "k1", _rec("a"))
    with pytest.raises(TransientError, match="DuplicateKeyError"):
        adapter.insert(table.name, "k1", _rec("b"))
    assert adapter.read(table.name, "k1", None) == _rec("a")


def test_unordered_batch_inserts_the_rest_after_a_duplicate(
    adapter: MongoAdapter, table: TableSpec
) -> None:
    adapter.insert(table.name, "b005", _rec("old"))
    rows = [(f"b{i:03d}", _rec(str(i))) for i in range(10)]
    with pytest.raises(TransientError, match="BulkWriteError"):
        adapter.insert_batch(table.name, rows)
    assert adapter.count_records(table.name) == 10
    assert adapter.read(table.name, "b005", None) == _rec("old")
    assert adapter.read(table.name, "b009", None) == _rec("9")


def test_update_of_absent_key_creates_nothing(adapter: MongoAdapter, table: TableSpec) -> None:
    adapter.update(table.name, "ghost", {"field1": "x"})
    assert adapter.read(table.name, "ghost", None) is None
    assert adapter.count_records(table.name) == 0


def test_scan_follows_python_string_order(adapter: MongoAdapter, table: TableSpec) -> None:
    keys = ["A", "Z", "a", "a b", "a$", "a.b", "aa", "b", "é", "z", "€", "日本"]
    for key in reversed(keys):
        adapter.insert(table.name, key, _rec(key))
    for start in ["", "a", "a c", "é", "~"]:
        got = [k for k, _ in adapter.scan(table.name, start, 100, None)]
        assert got == sorted(k for k in keys if k >= start), start
    rows = adapter.scan(table.name, "a", 2, ["field2"])
    assert rows == [("a", {"field2": "a-field2"}), ("a b", {"field2": "a b-field2"})]


def test_scan_longer_than_a_default_batch(adapter: MongoAdapter, table: TableSpec) -> None:
    rows = [(f"s{i:04d}", _rec(str(i))) for i in range(250)]
    adapter.insert_batch(table.name, rows)
    got = adapter.scan(table.name, "s0010", 200, None)
    assert [k for k, _ in got] == [k for k, _ in rows[10:210]]


def test_id_is_not_a_field_name(adapter: MongoAdapter, table: TableSpec) -> None:
    with pytest.raises(UnsupportedError):
        adapter.insert(table.name, "k", {"_id": "x"})
    with pytest.raises(UnsupportedError):
        adapter.update(table.name, "k", {"_id": "x"})


def test_unreachable_server_is_fatal(ferretdb_endpoint: Endpoint) -> None:
    endpoint = replace(
        ferretdb_endpoint,
        url="mongodb://127.0.0.1:9/bakeoff?serverSelectionTimeoutMS=300",
        display_url="mongodb://127.0.0.1:9/bakeoff",
    )
    adapter = MongoAdapter()
    with pytest.raises(FatalError, match="ServerSelectionTimeoutError"):
        adapter.connect(endpoint, {})


def test_operations_before_connect_are_fatal(table: TableSpec) -> None:
    adapter = MongoAdapter()
    with pytest.raises(FatalError, match="not connected"):
        adapter.read(table.name, "k", None)
