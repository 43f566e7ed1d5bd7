"""A trial's faults: the schedule, the proxy the client goes through, the lost-write count.

The runner asks this object at four points: `route` once the engine is up (the faults'
nodes are resolved and, when a fault needs it, Toxiproxy is placed between the client
and the node the endpoint points at), `start` when the measure phase starts, `stop`
when it ends however it ends (every fault undone), and `close` when the trial ends.
Without faults each of these does nothing, and writes are not tracked.

The client goes through Toxiproxy for degraded links, for `repoint`, and for faults
that restart a node (kill, stop): Docker gives a restarted container another published
port, while the proxy follows the node at its address on its network, as a virtual IP
or a load balancer would.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bakeoff.adapters.protocol import Endpoint, TableSpec
from bakeoff.adapters.redis_sentinel import follows_sentinel
from bakeoff.core.faults import DOCKER_KINDS, FaultSpec
from bakeoff.engines.node_faults import NodeFaults, Undo, topology_of
from bakeoff.engines.topology_nodes import RunningTopology, TopologyNode
from bakeoff.engines.toxiproxy import Toxiproxy
from bakeoff.harness.fault_schedule import FaultSchedule
from bakeoff.harness.lost_writes import read_back
from bakeoff.harness.options import RunOptions
from bakeoff.harness.plan import Trial
from bakeoff.harness.write_tracking import Write

RESTARTING = ("kill", "stop")
_TOXICS = {
    "latency": "latency",
    "bandwidth": "bandwidth",
    "timeout": "timeout",
    "reset": "reset_peer",
}


def toxic_attributes(spec: FaultSpec) -> dict[str, int]:
    """Toxiproxy's attributes are whole numbers (ms, KB/s)."""
    value = round(spec.value or 0.0)
    if spec.kind == "latency":
        return {"latency": value, "jitter": round(spec.jitter_ms)}
    if spec.kind == "bandwidth":
        return {"rate": value}
    return {"timeout": value}


def with_port(url: str, port: int) -> str:
    """`url` with its port replaced (credentials, path and query kept)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    host = netloc.rsplit(":", 1)[0] if netloc.rsplit("@", 1)[-1].count(":") else netloc
    return urlunsplit(parts._replace(netloc=f"{host}:{port}"))


def refuse_unreachable_faults(trials: Sequence[Trial], options: RunOptions) -> None:
    """ValueError when a trial with faults runs an engine bakeoff does not start in a
    container (embedded, or an existing server given by --url): there is nothing to kill."""
    for trial in trials:
        if not (options.faults or trial.workload.faults):
            continue
        if not options.engine_options.starts_container(trial.engine):
            raise ValueError(
                f"faults need an engine bakeoff starts in a container; {trial.engine.name} "
                "is embedded or an existing server (--url)"
            )


class TrialFaults:
    def __init__(self, specs: Sequence[FaultSpec]) -> None:
        self.specs = tuple(specs)
        self.schedule: FaultSchedule | None = None
        self._docker: NodeFaults | None = None
        self._proxy: Toxiproxy | None = None
        self._proxied: TopologyNode | None = None
        self._port = 0
        self._toxics = 0

    @property
    def tracking(self) -> bool:
        """Track writes (only when faults are scheduled: the cost stays off other runs)."""
        return bool(self.specs)

    def route(self, provisioner: object, endpoint: Endpoint) -> Endpoint:
        """Resolve the faults' nodes; the endpoint the client should use."""
        if not self.specs:
            return endpoint
        topology = topology_of(provisioner)  # where a replicated topology plugs in
        self._docker = NodeFaults()
        self.schedule = FaultSchedule(self.specs, topology, self._apply)
        if not any(s.needs_proxy or s.kind in RESTARTING for s in self.specs):
            return endpoint
        if follows_sentinel(endpoint) and not any(s.needs_proxy for s in self.specs):
            # The client asks the Sentinels for the primary on every connect and follows
            # a failover itself, as applications do: no proxy stands in its way.
            return endpoint
        host_port = urlsplit(endpoint.url).port or 0
        self._proxied = self._node_at(topology, host_port)
        self._port = self._docker.container_port(self._proxied, host_port)
        self._proxy = Toxiproxy(self._upstream(self._proxied), self._proxied.network)
        return replace(
            endpoint,
            url=with_port(endpoint.url, self._proxy.port),
            display_url=with_port(endpoint.display_url, self._proxy.port),
            provenance={**endpoint.provenance, "client_path": "toxiproxy"},
        )

    def _node_at(self, topology: RunningTopology, host_port: int) -> TopologyNode:
        assert self._docker is not None
        for node in topology.nodes:
            with contextlib.suppress(Exception):
                self._docker.container_port(node, host_port)
                return node
        return topology.nodes[0]

    def _upstream(self, node: TopologyNode) -> str:
        assert self._docker is not None
        return f"{self._docker.address(node)}:{self._port}"

    def _apply(self, spec: FaultSpec, node: TopologyNode) -> Undo | None:
        assert self._docker is not None
        if spec.kind in DOCKER_KINDS:
            if spec.kind in RESTARTING and self._proxy is not None and node == self._proxied:
                # A node that is down refuses connections. Through the proxy, a dial to
                # the address of a container that is gone would wait for an answer
                # instead, so the proxy refuses them itself, from just before the kill.
                self._proxy.refuse()
            undo = self._docker.apply(spec.kind, node)
            return lambda: self._after(undo, node)
        if spec.kind == "promote":
            self._docker.promote(node)
            return None
        proxy = self._proxy
        assert proxy is not None
        if spec.kind == "repoint":
            proxy.set_upstream(self._upstream(node))
            self._proxied = node
            return None
        if node != self._proxied:
            raise ValueError(
                f"{spec.kind}: the client's link is to {self._proxied and self._proxied.name}, "
                f"not {node.name}"
            )
        self._toxics += 1
        name = f"{spec.kind}{self._toxics}"
        proxy.add_toxic(name, _TOXICS[spec.kind], toxic_attributes(spec))
        return lambda: proxy.remove_toxic(name)

    def _after(self, undo: Undo, node: TopologyNode) -> None:
        """Undo a Docker fault; the proxy follows the node to its address afterwards."""
        undo()
        if self._proxy is not None and node == self._proxied:
            self._proxy.set_upstream(self._upstream(node))

    def start(self, origin_ns: int) -> None:
        if self.schedule is not None:
            self.schedule.start(origin_ns)

    def stop(self) -> None:
        if self.schedule is not None:
            self.schedule.stop()

    def lost_writes(
        self,
        adapter_cls: type[Any],
        endpoint: Endpoint,
        options: Mapping[str, str],
        table: TableSpec,
        writes: Sequence[Write],
    ) -> dict[str, Any]:
        """Every acknowledged write read back once the faults are undone."""
        return read_back(adapter_cls, endpoint, options, table, writes)

    def describe(self) -> list[dict[str, object]]:
        return self.schedule.describe() if self.schedule is not None else []

    def close(self) -> None:
        """Undo what is left and remove the proxy; safe to call again."""
        with contextlib.suppress(Exception):
            self.stop()
        if self._proxy is not None:
            self._proxy.stop()
        if self._docker is not None:
            self._docker.close()
