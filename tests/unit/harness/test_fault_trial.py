"""The trial's side of faults without Docker: the client's URL through the proxy, the
topology a fault schedule sees, and nothing at all without faults."""

from __future__ import annotations

import pytest

from bakeoff.core.endpoint import Endpoint
from bakeoff.engines.base import ProvisioningError
from bakeoff.engines.node_faults import SingleNode, topology_of
from bakeoff.engines.topology_nodes import TopologyNode
from bakeoff.harness.fault_trial import TrialFaults, with_port


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis://:secret@127.0.0.1:32768/0", "redis://:secret@127.0.0.1:20001/0"),
        (
            "postgresql+psycopg://u:p@127.0.0.1:5432/db?x=1",
            "postgresql+psycopg://u:p@127.0.0.1:20001/db?x=1",
        ),
        ("cassandra://127.0.0.1", "cassandra://127.0.0.1:20001"),
    ],
)
def test_the_client_url_moves_to_the_proxy_port(url: str, expected: str) -> None:
    assert with_port(url, 20001) == expected


def test_without_faults_nothing_is_routed_tracked_or_scheduled() -> None:
    faults = TrialFaults(())
    endpoint = Endpoint(engine="redis", url="redis://127.0.0.1:1/0", display_url="x")
    assert faults.route(object(), endpoint) is endpoint
    assert not faults.tracking and faults.describe() == []
    faults.start(0)
    faults.stop()
    faults.close()


class Topology:
    nodes = (
        TopologyNode("primary", "primary", "c1", "net"),
        TopologyNode("replica1", "replica", "c2", "net"),
    )


class Container:
    container_id = "abc"


def test_a_topology_is_taken_as_is_and_a_container_is_one_node() -> None:
    topology = Topology()
    assert topology_of(topology) is topology
    (node,) = topology_of(Container()).nodes
    assert (node.name, node.role, node.container_id) == ("node1", "primary", "abc")
    assert isinstance(topology_of(Container()), SingleNode)
    with pytest.raises(ProvisioningError, match="in a container"):
        topology_of(object())
