"""go-ycsb as the selftest runs it, on real servers: Redis with its own records, and
PostgreSQL over the rows bakeoff loaded. Skipped unless BAKEOFF_GO_YCSB names a go-ycsb
v1.0.3 binary (docs/load-generator.md says how to build one); CI builds no Go."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
import redis

from bakeoff.adapters.protocol import Endpoint
from bakeoff.selftest.bakeoff_runs import FIELD_LENGTH, MIXES, bakeoff_on, selftest_workload
from bakeoff.selftest.goycsb import GoYcsb, goycsb_binary
from bakeoff.selftest.measured import host_port_password
from tests.conftest import ServerPool

pytestmark = pytest.mark.docker

RECORDS = 1000


@pytest.fixture
def goycsb() -> GoYcsb:
    binary = goycsb_binary(None)
    if binary is None:
        pytest.skip("no go-ycsb binary: set BAKEOFF_GO_YCSB")
    return GoYcsb(binary)


@pytest.fixture
def redis_endpoint(servers: ServerPool) -> Iterator[Endpoint]:
    endpoint = servers.endpoint("redis")
    yield endpoint
    client = redis.Redis.from_url(endpoint.url)
    keys = list(client.scan_iter(match="usertable/*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


def test_redis_loads_its_own_hashes_and_reads_them(
    goycsb: GoYcsb, redis_endpoint: Endpoint
) -> None:
    goycsb.load("redis", redis_endpoint, RECORDS)
    client = redis.Redis.from_url(redis_endpoint.url)
    # `<table>/<key>` where bakeoff writes `<table>:<key>`: the same key, not the same name.
    value = client.hget("usertable/user000000000999", "field0")
    client.close()
    assert value is not None and len(value) == FIELD_LENGTH
    run = goycsb.run("redis", redis_endpoint, RECORDS, MIXES["c"], 1, 1.0)
    assert run.operations > 100 and run.errors == {}
    assert run.measured.ops_per_s > 0 and run.measured.cpu_us_per_op > 0


def test_postgres_updates_the_rows_bakeoff_loaded(goycsb: GoYcsb, servers: ServerPool) -> None:
    endpoint = servers.endpoint("postgres")
    bakeoff_on("postgres", endpoint, selftest_workload("goycsb-a", {"read": 1.0}, RECORDS, 1), 1)
    host, port, password = host_port_password(endpoint.url)
    conninfo = f"host={host} port={port} user=bakeoff password={password} dbname=bakeoff"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("UPDATE usertable SET field0 = %s", ["-" * FIELD_LENGTH])
        try:
            run = goycsb.run("postgres", endpoint, RECORDS, MIXES["a"], 2, 1.0)
            changed = conn.execute(
                "SELECT count(*) FROM usertable WHERE field0 <> %s", ["-" * FIELD_LENGTH]
            ).fetchone()
        finally:
            conn.execute("DROP TABLE IF EXISTS usertable")
    assert run.operations > 100 and run.errors == {}
    # Its updates landed on bakeoff's rows: same table, key column and key names.
    assert changed is not None and changed[0] > 0
