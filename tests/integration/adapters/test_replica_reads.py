"""--read-from replica: an adapter given a replica's URL (`Endpoint.read_url`) reads and
scans there and writes to the primary. Checked with two unrelated servers standing in
for primary and replica, so a read that went to the primary would find the record."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bakeoff.adapters.protocol import TableSpec
from bakeoff.adapters.registry import adapter_class
from bakeoff.engines.catalog import engine_spec
from tests.conftest import ServerPool

pytestmark = pytest.mark.docker

TABLE = TableSpec("replica_reads_t", ("field0",), 40)
OTHER_SERVER = {
    "postgres": {"work_mem": "8MB"},
    "mariadb": {"max_connections": "152"},
    "redis": {"maxmemory-policy": "noeviction"},
}
"""Knobs that make the server pool start a second server of the engine."""


@pytest.mark.parametrize("engine", list(OTHER_SERVER))
def test_reads_and_scans_go_to_the_replica_and_writes_to_the_primary(
    engine: str, servers: ServerPool
) -> None:
    primary = servers.endpoint(engine)
    replica = servers.endpoint(engine, OTHER_SERVER[engine])
    on_replica = adapter_class(engine_spec(engine).adapter)()
    on_replica.connect(replica, {})
    on_replica.setup(TABLE)
    on_replica.insert(TABLE.name, "k2", {"field0": "only on the replica"})

    adapter = adapter_class(engine_spec(engine).adapter)()
    adapter.connect(replace(primary, read_url=replica.url), {})
    try:
        adapter.setup(TABLE)
        adapter.insert(TABLE.name, "k1", {"field0": "written"})
        assert adapter.read(TABLE.name, "k1", None) is None
        assert adapter.read(TABLE.name, "k2", None) == {"field0": "only on the replica"}
        assert [key for key, _ in adapter.scan(TABLE.name, "k", 10, None)] == ["k2"]
    finally:
        adapter.teardown(TABLE)
        adapter.close()
        on_replica.teardown(TABLE)
        on_replica.close()
