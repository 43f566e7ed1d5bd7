"""The nodes of a running topology, as fault injection and the manifest see them.

A single container engine is a topology of one node (role "primary"). Replicated
topologies (a primary and replicas, a Sentinel group, a Cassandra ring) list every
container they started, each with its role, so a fault schedule can name its target
("node=2", "primary", "replica").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class UnknownNodeError(LookupError):
    """A fault names a node the topology does not have; the message lists those it has."""


@dataclass(frozen=True)
class TopologyNode:
    name: str
    """Unique within the topology: "node1", "primary", "replica1", "sentinel1"."""
    role: str
    """"primary", "replica", "sentinel" or "peer" (a ring member without a fixed role)."""
    container_id: str
    network: str | None
    """The run's private Docker network the node is attached to (None: the default)."""


class RunningTopology(Protocol):
    @property
    def nodes(self) -> Sequence[TopologyNode]: ...


def find_node(topology: RunningTopology, selector: str) -> TopologyNode:
    """The node a fault targets: a role ("primary", "replica": the first of that role),
    a name, or a 1-based position ("2")."""
    nodes = list(topology.nodes)
    if selector.isdigit() and 1 <= int(selector) <= len(nodes):
        return nodes[int(selector) - 1]
    for node in nodes:
        if node.name == selector:
            return node
    for node in nodes:
        if node.role == selector:
            return node
    names = ", ".join(f"{n.name} ({n.role})" for n in nodes) or "none"
    raise UnknownNodeError(f"no node {selector!r} in this topology; it has: {names}")
