"""A ring's nodes are reached through their published ports, not their network addresses."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bakeoff.adapters.cassandra_endpoints import published_addresses, published_endpoint_factory

PROVENANCE = {
    "node.node1.address": "172.20.0.2",
    "node.node1.published": "127.0.0.1:40001",
    "node.node2.address": "172.20.0.3",
    "node.node2.published": "127.0.0.1:40002",
    "image": "bakeoff/cassandra",
}


def test_each_node_address_maps_to_its_published_port() -> None:
    assert published_addresses(PROVENANCE) == {
        "172.20.0.2": ("127.0.0.1", 40001),
        "172.20.0.3": ("127.0.0.1", 40002),
    }


def test_a_single_server_gets_the_drivers_default() -> None:
    assert published_endpoint_factory({"image": "bakeoff/cassandra"}) is None


def test_the_driver_is_sent_to_the_published_port_of_a_peer() -> None:
    policies = pytest.importorskip("cassandra.policies")
    factory = published_endpoint_factory(PROVENANCE)
    # What the driver's Cluster does with its endpoint factory.
    factory.configure(SimpleNamespace(address_translator=policies.IdentityTranslator()))
    peer = {"rpc_address": "172.20.0.3", "peer": "172.20.0.3"}
    endpoint = factory.create(peer)
    assert (endpoint.address, endpoint.port) == ("127.0.0.1", 40002)
    stranger = factory.create({"rpc_address": "10.0.0.9", "peer": "10.0.0.9"})
    assert (stranger.address, stranger.port) == ("10.0.0.9", 9042)
