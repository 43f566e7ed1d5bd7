"""What the Ray executor decides without a cluster: the refusal of engines other hosts
cannot reach (loopback, embedded) and the per-node report."""

from __future__ import annotations

import socket

import pytest

from bakeoff.core.endpoint import Endpoint
from bakeoff.harness.clients import PhaseResult
from bakeoff.harness.clock_offset import ClockOffset
from bakeoff.harness.ray_api import Node
from bakeoff.harness.ray_executor import (
    UnreachableEngineError,
    embedded_refusal,
    node_report,
    refuse_unreachable,
)
from bakeoff.harness.ray_group import RayClientGroup, WorkerPlace

HERE = socket.gethostname()


def _endpoint(url: str) -> Endpoint:
    return Endpoint(engine="redis", url=url, display_url=url)


def test_a_loopback_engine_is_refused_when_a_node_runs_on_another_host() -> None:
    nodes = [Node("a", "10.0.0.1", HERE, 2.0), Node("b", "10.0.0.2", "loadgen-2", 4.0)]
    with pytest.raises(UnreachableEngineError, match="loadgen-2 cannot reach"):
        refuse_unreachable(_endpoint("redis://127.0.0.1:6379/0"), nodes)
    with pytest.raises(UnreachableEngineError):
        refuse_unreachable(_endpoint("postgresql://u:secret@localhost:5432/db"), nodes)


def test_a_loopback_engine_is_allowed_when_every_node_runs_here() -> None:
    nodes = [Node("a", "10.0.0.1", HERE, 2.0), Node("b", "10.0.0.1", HERE, 2.0)]
    refuse_unreachable(_endpoint("redis://127.0.0.1:6379/0"), nodes)


def test_an_engine_every_node_reaches_is_allowed_anywhere() -> None:
    nodes = [Node("b", "10.0.0.2", "loadgen-2", 4.0)]
    refuse_unreachable(_endpoint("redis://db.internal:6379/0"), nodes)


def test_an_embedded_engine_is_refused_when_a_node_runs_on_another_host() -> None:
    nodes = [Node("a", "10.0.0.1", HERE, 2.0), Node("b", "10.0.0.2", "loadgen-2", 4.0)]
    sqlite = Endpoint(engine="sqlite", url="bench.db", display_url="bench.db")
    with pytest.raises(UnreachableEngineError, match=r"sqlite is embedded.*loadgen-2"):
        refuse_unreachable(sqlite, nodes)
    assert "without --cluster" in (embedded_refusal("duckdb", nodes) or "")


def test_an_embedded_engine_runs_on_a_cluster_whose_nodes_all_run_here() -> None:
    nodes = [Node("a", "10.0.0.1", HERE, 2.0), Node("b", "10.0.0.1", HERE, 2.0)]
    assert embedded_refusal("sqlite", nodes) is None
    refuse_unreachable(Endpoint(engine="sqlite", url="bench.db", display_url="bench.db"), nodes)


def test_the_node_report_groups_workers_by_node_with_the_tightest_offset() -> None:
    def group(slot: int, node: str, uncertainty: int) -> RayClientGroup:
        place = WorkerPlace(
            slot=slot,
            node_id=node,
            node={"host": node, "cores": 2},
            clock=ClockOffset(offset_ns=1000 + slot, uncertainty_ns=uncertainty, round_trips=15),
        )
        return RayClientGroup(actor=None, connections=[slot], place=place)  # type: ignore[arg-type]

    groups = [group(0, "n1", 300), group(1, "n2", 50), group(2, "n1", 100)]
    groups[1].lost = True
    results = {
        0: PhaseResult(rows=[], cpu_s=0.95, wall_s=1.0, completed=10),
        2: PhaseResult(rows=[], cpu_s=0.2, wall_s=1.0, completed=5),
    }
    n1, n2 = node_report(groups, results)
    assert (n1["host"], n1["workers"], n1["operations"]) == ("n1", [0, 2], 15)
    assert (n1["clock_offset_ns"], n1["clock_offset_uncertainty_ns"]) == (1002, 100)
    assert n1["client_saturated"] is True  # one process at 95 % of its core
    assert n1["lost"] is False
    assert n2["lost"] is True
