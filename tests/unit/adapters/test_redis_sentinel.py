from __future__ import annotations

from bakeoff.adapters.protocol import Endpoint
from bakeoff.adapters.redis_sentinel import follows_sentinel, sentinel_addresses, translate

PROVENANCE = {
    "topology_nodes": "primary:primary,replica1:replica,sentinel1:sentinel,sentinel2:sentinel",
    "node.primary.address": "172.18.0.2",
    "node.primary.published": "127.0.0.1:40001",
    "node.replica1.address": "172.18.0.3",
    "node.replica1.published": "127.0.0.1:40002",
    "node.sentinel1.published": "127.0.0.1:40003",
    "node.sentinel2.published": "127.0.0.1:40004",
}


def test_the_sentinels_are_found_by_role() -> None:
    assert sentinel_addresses(PROVENANCE) == [("127.0.0.1", 40003), ("127.0.0.1", 40004)]


def test_a_node_named_by_host_name_or_address_maps_to_its_published_port() -> None:
    assert translate(PROVENANCE, "replica1", 6379) == ("127.0.0.1", 40002)
    assert translate(PROVENANCE, "172.18.0.2", 6379) == ("127.0.0.1", 40001)
    assert translate(PROVENANCE, "elsewhere", 6379) == ("elsewhere", 6379)


def test_only_a_sentinel_topology_is_followed() -> None:
    url = "redis://:pw@127.0.0.1:40001/0"
    plain = Endpoint("redis", url, url)
    assert not follows_sentinel(plain)
    sentinel = Endpoint(
        "redis", url, url, settings={"topology.master_name": "bakeoff"}, provenance=PROVENANCE
    )
    assert follows_sentinel(sentinel)
