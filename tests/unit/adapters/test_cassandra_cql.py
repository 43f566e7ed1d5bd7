"""The Cassandra adapter's settings, CQL text and error mapping; no server needed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cassandra import OperationTimedOut, ReadTimeout, Unavailable
from cassandra.cluster import NoHostAvailable

from bakeoff.adapters.cassandra import CassandraAdapter
from bakeoff.adapters.cassandra_cql import (
    DEFAULTS,
    CassandraSettings,
    TableCql,
    identifier,
    parse_url,
    replication_cql,
    row_to_record,
)
from bakeoff.adapters.cassandra_session import raise_translated
from bakeoff.adapters.errors import FatalError, TransientError, UnsupportedError
from bakeoff.adapters.protocol import Capability, Endpoint, TableSpec
from bakeoff.adapters.registry import CapabilityError, adapter_class, check_capabilities
from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.cql import knob_env as cql_knob_env
from bakeoff.workloads.loader import load_workload, shipped_workloads_dir


def test_catalog_client_knobs_are_the_adapter_defaults() -> None:
    spec = engine_spec("cassandra")
    assert dict(spec.client_knobs) == dict(DEFAULTS)
    assert spec.adapter == "cassandra"
    assert adapter_class("cassandra") is CassandraAdapter


def test_settings_resolve_options_over_endpoint_over_defaults() -> None:
    settings = CassandraSettings.resolve(
        {"consistency_read": "quorum"},
        {"consistency_read": "ALL", "consistency_write": "LOCAL_ONE", "keyspace": "ks1"},
    )
    assert settings == CassandraSettings(
        keyspace="ks1",
        replication_strategy="SimpleStrategy",
        replication_factor=1,
        consistency_read="QUORUM",
        consistency_write="LOCAL_ONE",
    )
    assert settings.replication("dc1") == {
        "class": "org.apache.cassandra.locator.SimpleStrategy",
        "replication_factor": "1",
    }


def test_network_topology_replication_uses_the_local_datacenter() -> None:
    settings = CassandraSettings.resolve(
        {}, {"replication_strategy": "NetworkTopologyStrategy", "replication_factor": "3"}
    )
    wanted = settings.replication("datacenter1")
    assert wanted == {
        "class": "org.apache.cassandra.locator.NetworkTopologyStrategy",
        "datacenter1": "3",
    }
    assert replication_cql(wanted) == (
        "{'class': 'org.apache.cassandra.locator.NetworkTopologyStrategy', 'datacenter1': '3'}"
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("consistency_read", "SOMETIMES"),
        ("consistency_read", "ANY"),
        ("consistency_write", ""),
        ("replication_factor", "0"),
        ("replication_factor", "two"),
        ("replication_strategy", "EverywhereStrategy"),
    ],
)
def test_invalid_settings_are_fatal(name: str, value: str) -> None:
    with pytest.raises(FatalError, match=name if value else "consistency_write"):
        if value:
            CassandraSettings.resolve({}, {name: value})
        else:
            CassandraSettings.resolve({name: "NONE_SUCH"}, {})


def test_identifiers_are_checked_and_quoted() -> None:
    assert identifier("usertable", "table") == '"usertable"'
    for bad in ("", "1table", "user-table", 'x"y', "a" * 49, "t; DROP"):
        with pytest.raises(UnsupportedError):
            identifier(bad, "table")


def test_table_cql() -> None:
    cql = TableCql("bakeoff", "usertable", ("field0", "field1"))
    assert cql.create() == (
        'CREATE TABLE IF NOT EXISTS "bakeoff"."usertable" '
        '("y_id" text PRIMARY KEY, "field0" text, "field1" text)'
    )
    assert cql.insert(("field0", "field1")) == (
        'INSERT INTO "bakeoff"."usertable" ("y_id", "field0", "field1") VALUES (?, ?, ?)'
    )
    assert cql.read(("field1",)) == 'SELECT "field1" FROM "bakeoff"."usertable" WHERE "y_id" = ?'
    assert cql.update(("field0", "field1")) == (
        'UPDATE "bakeoff"."usertable" SET "field0" = ?, "field1" = ? WHERE "y_id" = ?'
    )
    assert cql.delete() == 'DELETE FROM "bakeoff"."usertable" WHERE "y_id" = ?'
    assert cql.scan(("field0",), wrapped=False) == (
        'SELECT "y_id", "field0" FROM "bakeoff"."usertable" WHERE token("y_id") >= token(?) LIMIT ?'
    )
    assert 'token("y_id") < token(?)' in cql.scan(("field0",), wrapped=True)
    assert cql.count() == 'SELECT count(*) FROM "bakeoff"."usertable"'


def test_rows_keep_only_fields_with_values() -> None:
    assert row_to_record(("a", "b", "c"), ("1", None, "")) == {"a": "1", "c": ""}


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (Unavailable("not enough replicas"), TransientError),
        (ReadTimeout("read timed out"), TransientError),
        (OperationTimedOut("client timeout"), TransientError),
        (NoHostAvailable("no host", {}), FatalError),
        (ValueError("bad bind"), FatalError),
    ],
)
def test_errors_are_translated_by_kind(error: Exception, kind: type[Exception]) -> None:
    with pytest.raises(kind, match=type(error).__name__):
        raise_translated(error)


def test_operations_before_connect_are_fatal() -> None:
    adapter = CassandraAdapter()
    with pytest.raises(FatalError, match="not connected"):
        adapter.read("t", "k", None)
    with pytest.raises(FatalError, match="not connected"):
        adapter.setup(TableSpec("t", ("field0",), 10))
    adapter.close()
    adapter.close()


def test_bad_url_is_fatal_without_leaking_it() -> None:
    endpoint = Endpoint(
        engine="cassandra",
        url="redis://:secret@127.0.0.1:6379/0",
        display_url="redis://:***@127.0.0.1:6379/0",
    )
    with pytest.raises(FatalError) as raised:
        CassandraAdapter().connect(endpoint, {})
    assert "secret" not in str(raised.value)


def test_ordered_scan_is_refused_with_the_reason() -> None:
    workload = load_workload(shipped_workloads_dir() / "ycsb-e.yaml")
    with pytest.raises(CapabilityError) as raised:
        check_capabilities(
            CassandraAdapter,
            workload.required_capabilities(),
            workload=workload.name,
            engine="cassandra",
        )
    message = str(raised.value)
    assert "'ycsb-e'" in message and "'cassandra'" in message
    assert Capability.ORDERED_SCAN.value in message and "token order" in message


def test_cli_refuses_ycsb_e_before_starting_anything(tmp_path: Path) -> None:
    # No Docker needed: the refusal comes from planning, before any provisioner exists.
    env = {**os.environ, "COLUMNS": "200", "DOCKER_HOST": "unix:///nonexistent.sock"}
    result = subprocess.run(
        [sys.executable, "-m", "bakeoff", "run", "ycsb-e", "--engine", "cassandra"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    message = " ".join(result.stderr.split())
    assert "ycsb-e" in message and "ordered-scan" in message and "token order" in message
    assert not (tmp_path / "results").exists()


def test_knobs_reach_cassandra_through_the_environment() -> None:
    spec = engine_spec("cassandra")
    assert spec.server is not None
    knobs = {"heap": "2g", "concurrent_reads": "64"}
    assert spec.server.knob_args(knobs) == []
    assert spec.server.knob_env(knobs) == {
        "MAX_HEAP_SIZE": "2g",
        "JVM_EXTRA_OPTS": "-Dcassandra.config.allow_system_properties=true "
        "-Dcassandra.settings.concurrent_reads=64",
    }
    assert cql_knob_env({"heap": "1g"}) == {"MAX_HEAP_SIZE": "1g"}
    with pytest.raises(ValueError, match="spaces"):
        cql_knob_env({"concurrent_reads": "6 4"})


def test_client_knobs_stay_out_of_the_container() -> None:
    pytest.importorskip("testcontainers")
    from bakeoff.engines.container import ContainerProvisioner

    provisioner = ContainerProvisioner(
        engine_spec("cassandra"),
        image="bakeoff/cassandra:test",
        knobs={"consistency_read": "QUORUM", "concurrent_writes": "16"},
    )
    assert provisioner.knobs == {"heap": "1g", "concurrent_writes": "16"}
    assert provisioner.client_knobs == {**DEFAULTS, "consistency_read": "QUORUM"}


def test_parse_url() -> None:
    target = parse_url("cassandra://bakeoff:p%40ss@127.0.0.1:32000/ignored")
    assert (target.host, target.port, target.user, target.password) == (
        "127.0.0.1",
        32000,
        "bakeoff",
        "p@ss",
    )
    assert parse_url("cassandra://db").port == 9042
    for bad in ("postgres://u:secret@h/db", "cassandra://u:secret@h:port"):
        with pytest.raises(ValueError, match="cassandra://") as raised:
            parse_url(bad)
        assert "secret" not in str(raised.value)
