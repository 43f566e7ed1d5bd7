"""The Cassandra adapter against a real Cassandra 5.0 node in a container.

One container serves the whole module (tables get fresh names per test): a node takes
several seconds to start, so a container per test would cost minutes. The image is the
project's own, built from docker/cassandra if it is missing (about 90 s from nothing,
seconds when cached). Scan tests that need ORDERED_SCAN skip by design: Cassandra scans
follow token order (see bakeoff.adapters.cassandra).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace

import pytest
from cassandra.metadata import Murmur3Token

from bakeoff.adapters.cassandra import CassandraAdapter
from bakeoff.adapters.errors import FatalError, TransientError
from bakeoff.adapters.protocol import Adapter, Endpoint, TableSpec
from bakeoff.engines.cql import cql_session
from bakeoff.testing import AdapterConformance, connected_adapter
from tests.conftest import ServerPool

pytestmark = pytest.mark.docker

FIELDS = ("field0", "field1", "field2")


@pytest.fixture(scope="module")
def cassandra_endpoint(servers: ServerPool) -> Endpoint:
    # A knob of each kind: one for the server (read back from it), one for the adapter.
    return servers.endpoint("cassandra", {"concurrent_reads": "16", "consistency_write": "QUORUM"})


class TestCassandraAdapter(AdapterConformance):
    @pytest.fixture
    def adapter_class(self) -> type[Adapter]:
        return CassandraAdapter

    @pytest.fixture
    def endpoint(self, cassandra_endpoint: Endpoint) -> Endpoint:
        return cassandra_endpoint


# -- behaviour particular to Cassandra ------------------------------------------------


@pytest.fixture
def table() -> TableSpec:
    return TableSpec(name=f"cass_{uuid.uuid4().hex[:10]}", field_names=FIELDS, max_field_length=8)


@pytest.fixture
def adapter(cassandra_endpoint: Endpoint, table: TableSpec) -> Iterator[CassandraAdapter]:
    with connected_adapter(CassandraAdapter, cassandra_endpoint, table) as adapter:
        yield adapter


def _rec(tag: str) -> dict[str, str]:
    return {f: f"{tag}-{f}" for f in FIELDS}


def _token(key: str) -> int:
    return int(Murmur3Token.from_key(key.encode()).value)


def test_endpoint_reports_server_and_client_settings(cassandra_endpoint: Endpoint) -> None:
    assert cassandra_endpoint.version.startswith("5.0.")
    settings = cassandra_endpoint.settings
    assert settings["concurrent_reads"] == "16"  # the knob, read back from the server
    assert settings["heap"] == "1g"
    assert settings["commitlog_sync"] == "periodic"
    assert settings["authenticator"].endswith("PasswordAuthenticator")
    assert settings["consistency_write"] == "QUORUM"
    assert settings["consistency_read"] == "ONE"
    assert settings["replication_factor"] == "1"
    assert float(cassandra_endpoint.provenance["start_to_ready_s"]) > 0


def test_statements_use_the_recorded_consistency_levels(
    adapter: CassandraAdapter, table: TableSpec
) -> None:
    state = adapter._tables[table.name]
    assert state.insert_all.consistency_level == 4  # QUORUM, from the endpoint's settings
    assert state.reads[FIELDS].consistency_level == 1  # ONE


def test_scan_walks_the_ring_in_token_order_and_wraps(
    adapter: CassandraAdapter, table: TableSpec
) -> None:
    keys = [f"user{i:03d}" for i in range(25)]
    for key in keys:
        adapter.insert(table.name, key, _rec(key))
    ring = sorted(keys, key=_token)
    for start in (ring[0], ring[12], ring[-1]):
        got = [k for k, _ in adapter.scan(table.name, start, 10, None)]
        at = ring.index(start)
        assert got == (ring + ring)[at : at + 10]
    everything = adapter.scan(table.name, ring[5], 100, ["field1"])
    assert sorted(k for k, _ in everything) == sorted(keys)
    assert all(record == {"field1": f"{k}-field1"} for k, record in everything)


def test_unreachable_consistency_level_is_transient(
    cassandra_endpoint: Endpoint, table: TableSpec
) -> None:
    # One node cannot give two replicas: the coordinator answers Unavailable.
    adapter = CassandraAdapter()
    adapter.connect(cassandra_endpoint, {"consistency_read": "TWO"})
    try:
        adapter.setup(table)
        with pytest.raises(TransientError, match="Unavailable"):
            adapter.read(table.name, "k", None)
    finally:
        adapter.teardown(table)
        adapter.close()


def test_keyspace_with_other_replication_is_refused(
    cassandra_endpoint: Endpoint, table: TableSpec
) -> None:
    keyspace = f"ks_{uuid.uuid4().hex[:8]}"
    first = CassandraAdapter()
    first.connect(cassandra_endpoint, {"keyspace": keyspace})
    try:
        first.setup(table)
        second = CassandraAdapter()
        second.connect(cassandra_endpoint, {"keyspace": keyspace, "replication_factor": "3"})
        try:
            with pytest.raises(FatalError, match="replication"):
                second.setup(table)
        finally:
            second.close()
    finally:
        first.teardown(table)
        first.close()
        with cql_session(cassandra_endpoint.url, 30.0) as session:
            session.execute(f'DROP KEYSPACE IF EXISTS "{keyspace}"', timeout=60.0)


def test_batch_insert_of_many_rows(adapter: CassandraAdapter, table: TableSpec) -> None:
    rows = [(f"b{i:04d}", _rec(str(i))) for i in range(500)]
    adapter.insert_batch(table.name, rows)
    assert adapter.count_records(table.name) == 500
    assert adapter.read(table.name, "b0123", None) == _rec("123")


def test_update_of_absent_key_creates_a_partial_record(
    adapter: CassandraAdapter, table: TableSpec
) -> None:
    adapter.update(table.name, "ghost", {"field1": "x"})
    assert adapter.read(table.name, "ghost", None) == {"field1": "x"}


def test_bad_password_is_fatal_without_leaking_it(cassandra_endpoint: Endpoint) -> None:
    host = cassandra_endpoint.url.rpartition("@")[2]
    endpoint = replace(
        cassandra_endpoint,
        url=f"cassandra://bakeoff:wrong-secret@{host}",
        display_url=f"cassandra://bakeoff:***@{host}",
    )
    adapter = CassandraAdapter()
    with pytest.raises(FatalError, match=r"\*\*\*") as raised:
        adapter.connect(endpoint, {})
    assert "wrong-secret" not in str(raised.value)


def test_default_superuser_does_not_exist(cassandra_endpoint: Endpoint) -> None:
    host = cassandra_endpoint.url.rpartition("@")[2]
    with (
        pytest.raises(Exception, match=r"AuthenticationFailed|Bad credentials"),
        cql_session(f"cassandra://cassandra:cassandra@{host}", 10.0) as session,
    ):
        session.execute("SELECT release_version FROM system.local")
