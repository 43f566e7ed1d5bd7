"""Faults on replicated topologies (docs/faults.md, docs/topologies.md): a killed
Cassandra ring member at QUORUM, a Redis primary killed behind Sentinel, a PostgreSQL
primary killed and its replica promoted by the schedule. Each produces the availability
figures and the lost-write count, and leaves no container and no network behind.

Short runs at 0.25 s intervals, faults at 3-5 s, small tables: the checks are on what
each failover must show, not on tight numbers. The Cassandra ring (three JVMs, about
3 GiB, 1.5-2 minutes to join on two busy cores) is the one slow test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bakeoff.api import run_benchmark
from bakeoff.engines.images import build_images, docker_client
from bakeoff.engines.provisioning import EngineOptions

pytestmark = pytest.mark.docker


def _leftovers(network: str) -> list[str]:
    client = docker_client()
    try:
        containers = client.api.containers(all=True, filters={"name": network})
        networks = client.networks.list(names=[network])
        return [str(c["Names"][0]) for c in containers] + [str(n.name) for n in networks]
    finally:
        client.close()


def _run(
    engine: str, topology: str, faults: tuple[str, ...], tmp_path: Path, duration_s: float
) -> dict[str, Any]:
    image = next(r.image for r in build_images([engine]) if r.engine == engine)
    result = run_benchmark(
        ["ycsb-a"],
        [engine],
        output=tmp_path,
        records=300,
        duration_s=duration_s,
        warmup_s=0,
        interval_s=0.25,
        faults=faults,
        engine_options=EngineOptions(images={engine: image}, topologies={engine: topology}),
    )
    assert result.ok, result.trials[0].error
    manifest = json.loads((result.path / "manifest.json").read_text())
    trial: dict[str, Any] = manifest["trials"][0]
    assert _leftovers(trial["provenance"]["network"]) == []
    return trial


@pytest.mark.slow
def test_a_killed_cassandra_ring_member_loses_no_write_at_quorum(tmp_path: Path) -> None:
    trial = _run("cassandra", "ring3", ("at=4s,kill,node=2",), tmp_path, 12.0)

    assert trial["provenance"]["topology_nodes"] == "node1:peer,node2:peer,node3:peer"
    assert trial["settings"]["replication_factor"] == "3"
    assert trial["settings"]["consistency_write"] == "QUORUM"
    (fault,) = trial["faults"]
    assert fault["applied"] and fault["node_name"] == "node2"
    (figures,) = trial["availability"]
    # Two of three replicas still answer, so the ring keeps serving at QUORUM: down for
    # far less than the 8 s after the kill. Whether the client sees the kill at all
    # depends on where its requests were in flight: a request on node2's connection fails
    # or stalls, but the driver marks the host down as its connection closes and may
    # route every later request to the two others, so an interval with an error or a
    # stall may not show (a CI run saw none), so detect_s is not asserted. (Nor is
    # recovery to 90 % of the baseline: one connection at ~100 ops/s on a busy machine
    # is too noisy at 0.25 s intervals.)
    assert figures["unavailable_s"] < 4.0
    assert figures["baseline_ops_per_s"] and figures["baseline_ops_per_s"] > 0
    lost = trial["lost_writes"]
    assert lost["keys_checked"] > 0 and lost["lost"] == 0 and lost["stale"] == 0
    assert lost["read_at"] in ("ALL", "QUORUM")


def test_the_client_follows_a_sentinel_failover(tmp_path: Path) -> None:
    trial = _run("redis", "sentinel", ("at=3s,kill,node=primary",), tmp_path, 12.0)

    # The client finds the primary through the Sentinels, not through a proxy.
    assert "client_path" not in trial["provenance"]
    (figures,) = trial["availability"]
    # Down from the kill until the Sentinels promote the replica (down-after 2 s), then
    # back: only the promoted replica can serve, the old primary stays down.
    assert figures["unavailable_s"] >= 1.0
    assert figures["recovery_s"] is not None
    lost = trial["lost_writes"]
    assert lost["keys_checked"] > 0  # lost may be above 0: replication is asynchronous
    assert lost["stable"] + lost["lost"] + lost["stale"] == lost["keys_checked"]


def test_a_promoted_postgres_replica_serves_after_the_primary_is_killed(
    tmp_path: Path,
) -> None:
    faults = ("at=3s,kill,node=primary", "at=4s,promote,node=replica", "at=4s,repoint,node=replica")
    trial = _run("postgres", "primary-replica", faults, tmp_path, 8.0)

    assert [f["applied"] for f in trial["faults"]] == [True, True, True]
    kill = trial["availability"][0]
    assert kill["node_name"] == "primary"
    assert kill["recovery_s"] is not None  # the client is back, on the promoted replica
    lost = trial["lost_writes"]
    # Streaming replication is asynchronous here too: the count is the result.
    assert lost["keys_checked"] > 0
    # The plans after the run are taken on the connection made anew after the faults.
    plans = json.loads(next(tmp_path.glob("*/plans.json")).read_text())
    after = [p for p in plans["trials"][0]["plans"] if p["moment"] == "after-run"]
    assert after and not [p["note"] for p in after if "explain failed" in (p.get("note") or "")]
