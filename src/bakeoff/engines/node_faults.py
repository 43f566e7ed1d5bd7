"""Faults applied to a node's container through the Docker API, each with its undo.

kill (SIGKILL) and stop (SIGTERM, then SIGKILL after a grace period) are undone by
starting the container again; pause by unpausing it; a partition (the node disconnected
from its network) by connecting it again. `promote` asks a PostgreSQL replica to become
a primary (`SELECT pg_promote()`), which nothing undoes.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any, cast

from bakeoff.engines.base import ProvisioningError
from bakeoff.engines.images import docker_client, docker_sdk
from bakeoff.engines.topology_nodes import RunningTopology, TopologyNode

Undo = Callable[[], None]
_DEFAULT_NETWORK = "bridge"
_STOP_GRACE_S = 10
_RUNNING_WAIT_S = 30.0


class NodeFaultError(RuntimeError):
    """A fault could not be applied (or undone); the message names the node."""


class SingleNode:
    """An ordinary container engine as a topology of one node, role "primary"."""

    def __init__(self, container_id: str, name: str = "node1") -> None:
        self._nodes = (TopologyNode(name, "primary", container_id, None),)

    @property
    def nodes(self) -> tuple[TopologyNode, ...]:
        return self._nodes


def topology_of(provisioner: object) -> RunningTopology:
    """The nodes a fault schedule can target, from the provisioner that started them.

    The one place a replicated topology plugs in: a provisioner that is itself a
    `RunningTopology` (it has `nodes`) is taken as is; a single container engine is a
    topology of one node.
    """
    if hasattr(provisioner, "nodes"):
        return cast("RunningTopology", provisioner)
    container_id = getattr(provisioner, "container_id", None)
    if not container_id:
        raise ProvisioningError(
            "faults need an engine bakeoff started in a container (not embedded, not --url)"
        )
    return SingleNode(str(container_id))


class NodeFaults:
    """Applies Docker-level faults to nodes; every `apply` returns the fault's undo."""

    def __init__(self) -> None:
        self._client: Any = docker_client()

    def apply(self, kind: str, node: TopologyNode) -> Undo:
        api = self._client.api
        cid = node.container_id
        try:
            if kind == "kill":
                api.kill(cid)
                return lambda: self.start(node)
            if kind == "stop":
                api.stop(cid, timeout=_STOP_GRACE_S)
                return lambda: self.start(node)
            if kind == "pause":
                api.pause(cid)
                return lambda: self._unpause(node)
            if kind == "partition":
                network = node.network or _DEFAULT_NETWORK
                api.disconnect_container_from_network(cid, network)
                return lambda: self._reconnect(node, network)
        except docker_sdk().errors.APIError as error:
            raise NodeFaultError(f"{kind} on {node.name}: {error}") from None
        raise NodeFaultError(f"{kind} is not a Docker fault")

    def start(self, node: TopologyNode) -> None:
        """Start the node's container again (after kill or stop) and wait until it runs."""
        if self.state(node).get("Paused"):
            self._client.api.unpause(node.container_id)
        self._client.api.start(node.container_id)
        deadline = time.monotonic() + _RUNNING_WAIT_S
        while not self.state(node).get("Running"):
            if time.monotonic() > deadline:
                raise NodeFaultError(f"{node.name} did not run again after a restart")
            time.sleep(0.1)

    def _unpause(self, node: TopologyNode) -> None:
        if self.state(node).get("Paused"):
            self._client.api.unpause(node.container_id)

    def _reconnect(self, node: TopologyNode, network: str) -> None:
        if network not in self.networks(node):
            self._client.api.connect_container_to_network(node.container_id, network)

    def state(self, node: TopologyNode) -> dict[str, Any]:
        info = self._client.api.inspect_container(node.container_id)
        return dict(info.get("State") or {})

    def networks(self, node: TopologyNode) -> dict[str, Any]:
        info = self._client.api.inspect_container(node.container_id)
        return dict(info.get("NetworkSettings", {}).get("Networks") or {})

    def address(self, node: TopologyNode) -> str:
        """The node's IP address on its network (empty while it is disconnected)."""
        found = self.networks(node).get(node.network or _DEFAULT_NETWORK) or {}
        return str(found.get("IPAddress") or "")

    def container_port(self, node: TopologyNode, host_port: int) -> int:
        """The port inside the node's container that `host_port` is published from."""
        info = self._client.api.inspect_container(node.container_id)
        for key, bindings in (info.get("NetworkSettings", {}).get("Ports") or {}).items():
            if any(str(b.get("HostPort")) == str(host_port) for b in bindings or []):
                return int(str(key).split("/")[0])
        raise NodeFaultError(f"{node.name} publishes nothing on host port {host_port}")

    def promote(self, node: TopologyNode) -> None:
        """PostgreSQL: promote a streaming replica to primary (pg_promote waits for it)."""
        if node.role != "replica":
            raise NodeFaultError(f"promote: {node.name} is a {node.role}, not a replica")
        command = ["psql", "-U", "postgres", "-tAc", "SELECT pg_promote(true, 30)"]
        exec_id = self._client.api.exec_create(node.container_id, command, user="postgres")
        output = bytes(self._client.api.exec_start(exec_id)).decode(errors="replace").strip()
        code = self._client.api.exec_inspect(exec_id).get("ExitCode")
        if code != 0 or output != "t":
            raise NodeFaultError(f"promote {node.name}: psql exited {code}: {output}")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._client.close()
