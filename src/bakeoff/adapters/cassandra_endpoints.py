"""Reaching every node of a Cassandra ring through its published port.

A ring's nodes tell the driver their addresses on the topology's private network; the
driver would then connect to those directly, around the ports bakeoff published on
127.0.0.1 (and around anything placed in front of them, such as a fault proxy). The
topology records each node's address and published port in the endpoint's provenance
(`node.NAME.address`, `node.NAME.published`); this endpoint factory sends the driver to
the published port instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def published_addresses(provenance: Mapping[str, str]) -> dict[str, tuple[str, int]]:
    """Each node's network address → the (host, port) published for it."""
    found: dict[str, tuple[str, int]] = {}
    for key, address in provenance.items():
        if not (key.startswith("node.") and key.endswith(".address")):
            continue
        published = provenance.get(key.removesuffix(".address") + ".published", "")
        host, _, port = published.rpartition(":")
        if host and port.isdigit():
            found[address] = (host, int(port))
    return found


def published_endpoint_factory(provenance: Mapping[str, str]) -> Any:
    """A driver endpoint factory mapping nodes to their published ports; None when the
    endpoint is not a topology (a single node or a server reached by URL)."""
    addresses = published_addresses(provenance)
    if not addresses:
        return None
    from cassandra.connection import DefaultEndPoint, DefaultEndPointFactory

    class PublishedEndPointFactory(DefaultEndPointFactory):  # type: ignore[misc]
        def create(self, row: Any) -> Any:
            endpoint = super().create(row)
            host, port = addresses.get(endpoint.address, (None, None))
            return endpoint if host is None else DefaultEndPoint(host, port)

    return PublishedEndPointFactory()
