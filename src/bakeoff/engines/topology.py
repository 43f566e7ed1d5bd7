"""Replicated topologies in containers: several nodes of one engine on a private network.

A `TopologyRecipe` (engines/topologies/) says which nodes to start, how to wire them
(replication, Sentinel, a ring) and when the whole topology is ready; the
`TopologyProvisioner` starts them on a network of their own, waits for each node and
then for the recipe's readiness, and removes every container and the network on stop,
on failure and on a termination signal (it is tracked by engines/cleanup.py like a single
container). Only each node's client port is published, on 127.0.0.1.

The provisioner is the run's `RunningTopology` (engines/topology_nodes.py): its `nodes`
are what a fault schedule targets.
"""

from __future__ import annotations

import contextlib
import secrets
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from bakeoff.core.endpoint import Endpoint
from bakeoff.core.secrets import redact, redact_url
from bakeoff.engines import cleanup
from bakeoff.engines.base import ProvisionerBase, ProvisioningError
from bakeoff.engines.catalog import EngineSpec, check_drivers, image_env_var, resolve_image
from bakeoff.engines.container import LOOPBACK, parse_memory, remove_container
from bakeoff.engines.images import docker_client, docker_sdk
from bakeoff.engines.networks import INSTANCE_LABEL, create_network, owner_labels, remove_networks
from bakeoff.engines.protocol import ReadinessProbe
from bakeoff.engines.readiness import wait_until_ready
from bakeoff.engines.replica_lag import LagProbe, LagSampler
from bakeoff.engines.server import read_server_facts
from bakeoff.engines.topology_nodes import TopologyNode

READ_FROM = ("primary", "replica")
"""Where a run sends its reads: the primary (default) or a replica (`--read-from`)."""


@dataclass(frozen=True)
class NodePlan:
    """One container of a topology."""

    name: str
    """Also its host name on the topology's network."""
    role: str
    port: int
    """The client port, published on 127.0.0.1."""
    command: Sequence[str] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    data: bool = True
    """A node holding data (its version and settings are read); False: a Sentinel."""


@dataclass
class StartedNode:
    plan: NodePlan
    container_id: str
    host_port: int
    url: str
    address: str
    """Its address on the topology's network."""


@dataclass
class StartedTopology:
    """What a recipe wires and checks: the nodes as started, and a way into each."""

    client: Any
    password: str
    network: str
    nodes: dict[str, StartedNode]

    def url(self, name: str) -> str:
        return self.nodes[name].url

    def exec(self, name: str, command: Sequence[str], user: str | None = None) -> str:
        """Run `command` in node `name`; its output. Raises ProvisioningError on failure."""
        result = self.client.containers.get(self.nodes[name].container_id).exec_run(
            list(command), user=user or ""
        )
        output = bytes(result.output or b"").decode("utf-8", errors="replace")
        if result.exit_code != 0:
            raise ProvisioningError(f"{command[0]} in {name} failed: {output.strip()[-300:]}")
        return output


class TopologyRecipe(Protocol):
    engine: str
    name: str
    settings: Mapping[str, str]
    """What the topology is, recorded with the engine's settings (replication mode,
    replication factor, consistency levels, sentinels and quorum)."""
    client_knobs: Mapping[str, str]
    """Adapter settings the topology implies (a ring's replication factor)."""
    ready_timeout_s: float
    """How long the whole topology may take to be ready once each node answers (each
    node also gets the engine's own start-up time)."""

    def plan(self, spec: EngineSpec, knobs: Mapping[str, str]) -> list[NodePlan]: ...

    def probe(self, node: NodePlan, url: str) -> ReadinessProbe | None:
        """A node's own readiness probe; None: the engine's round trip."""

    def configure(self, started: StartedTopology) -> None:
        """Wire the nodes once each answers (replication that needs a command)."""

    def check_ready(self, started: StartedTopology) -> None:
        """Raise while the whole topology is not ready (replication not streaming, ring
        not joined); called repeatedly until it passes or time is up."""

    def read_node(self) -> str:
        """The node reads go to with --read-from replica."""

    def read_knobs(self, read_from: str) -> Mapping[str, str]:
        """Adapter settings for `read_from` (a read consistency level)."""

    def lag_probe(self, started: StartedTopology) -> LagProbe | None:
        """How replica lag is sampled; None where there is no primary to lag behind."""


@dataclass(frozen=True)
class _Check:
    check: Callable[[], None]
    what: str

    def attempt(self) -> None:
        self.check()

    def describe(self) -> str:
        return self.what


class TopologyProvisioner(ProvisionerBase):
    """Starts `recipe`'s nodes of `spec` for one trial; `stop()` removes them and the network.

    `cpus` and `memory` limit each node. `read_from="replica"` gives the endpoint the
    URL of the recipe's read node (`Endpoint.read_url`) or its read settings.
    """

    def __init__(
        self,
        spec: EngineSpec,
        recipe: TopologyRecipe,
        *,
        image: str | None = None,
        knobs: Mapping[str, str] | None = None,
        cpus: float | None = None,
        memory: str | None = None,
        read_from: str = "primary",
    ) -> None:
        if read_from not in READ_FROM:
            raise ValueError(f"read_from must be one of {', '.join(READ_FROM)}, not {read_from!r}")
        self.spec = spec
        self.recipe = recipe
        self.image = resolve_image(spec, image)
        given = dict(knobs or {})
        self.client_knobs = {
            **spec.client_knobs,
            **recipe.client_knobs,
            **recipe.read_knobs(read_from),
            **{k: v for k, v in given.items() if k in spec.client_knobs},
        }
        self.knobs = {
            **spec.knobs,
            **{k: v for k, v in given.items() if k not in spec.client_knobs},
        }
        self.cpus = cpus
        self.memory = memory
        self.read_from = read_from
        self.instance = uuid.uuid4().hex
        self._password = secrets.token_urlsafe(24)
        self._client: Any = None
        self._started: StartedTopology | None = None
        self._nodes: list[TopologyNode] = []
        self._lag: LagSampler | None = None
        self._provenance: dict[str, str] = {}
        self._created = False
        self._removed = False

    @property
    def nodes(self) -> Sequence[TopologyNode]:
        return list(self._nodes)

    @property
    def started(self) -> StartedTopology:
        """The running nodes, their published ports and URLs (after `start`)."""
        if self._started is None:
            raise ProvisioningError("the topology has not been started")
        return self._started

    def start(self) -> Endpoint:
        if self._created:
            raise ProvisioningError("a TopologyProvisioner starts once; make one per trial")
        check_drivers(self.spec)
        self._client = docker_client()
        try:
            return self._start()
        except BaseException as error:
            with contextlib.suppress(Exception):
                self.stop()
            if isinstance(error, ProvisioningError):
                raise ProvisioningError(redact(str(error), [self._password])) from None
            if isinstance(error, Exception):
                raise ProvisioningError(
                    f"starting {self.spec.display_name} {self.recipe.name} failed: "
                    f"{redact(str(error), [self._password])}"
                ) from None
            raise

    def _start(self) -> Endpoint:
        spec, recipe = self.spec, self.recipe
        server = spec.server
        assert server is not None
        try:
            self._client.images.get(self.image)
        except docker_sdk().errors.ImageNotFound:
            raise ProvisioningError(
                f"image {self.image} is not on this Docker engine: build the local images "
                f"with `bakeoff images build` and point {image_env_var(spec.name)} at them "
                "(`bakeoff images env` prints the exports)"
            ) from None
        cleanup.track(self.instance, self)
        self._created = True
        started_at = time.monotonic()
        network = create_network(self._client, self.instance, spec.name)
        self._started = StartedTopology(self._client, self._password, network, {})
        for plan in recipe.plan(spec, self.knobs):
            node = self._run_node(plan, network)
            self._started.nodes[plan.name] = node
            self._nodes.append(TopologyNode(plan.name, plan.role, node.container_id, network))
        for node in self._started.nodes.values():
            probe = recipe.probe(node.plan, node.url) or server.readiness(node.url)
            wait_until_ready(probe, timeout_s=max(spec.ready_timeout_s, recipe.ready_timeout_s))
        recipe.configure(self._started)
        started = self._started
        wait_until_ready(
            _Check(lambda: recipe.check_ready(started), f"{recipe.name} readiness"),
            timeout_s=recipe.ready_timeout_s,
        )
        endpoint = self._endpoint(time.monotonic() - started_at)
        lag_probe = recipe.lag_probe(started)
        if lag_probe is None:
            self._provenance["replica_lag"] = "not sampled (no primary in this topology)"
        else:
            self._lag = LagSampler(lag_probe)
            self._lag.start()
        return endpoint

    def _run_node(self, plan: NodePlan, network: str) -> StartedNode:
        spec = self.spec
        assert spec.server is not None
        env = {
            **spec.container_env,
            **spec.server.knob_env(self.knobs),
            **dict.fromkeys(spec.password_env, self._password),
            **plan.env,
        }
        limits: dict[str, Any] = {}
        if self.cpus is not None:
            limits["nano_cpus"] = round(self.cpus * 1e9)
        if self.memory is not None:
            limits["mem_limit"] = limits["memswap_limit"] = parse_memory(self.memory)
        container = self._client.containers.create(
            self.image,
            command=list(plan.command) or spec.server.knob_args(self.knobs) or None,
            environment=env,
            name=f"bakeoff-{spec.name}-{self.instance[:12]}-{plan.name}",
            hostname=plan.name,
            labels={**owner_labels(self.instance), "org.bakeoff.engine": spec.name},
            ports={f"{plan.port}/tcp": (LOOPBACK, None)},
            network=network,
            **limits,
        )
        self._client.networks.get(network).disconnect(container)
        self._client.networks.get(network).connect(container, aliases=[plan.name])
        container.start()
        container.reload()
        address = str(container.attrs["NetworkSettings"]["Networks"][network]["IPAddress"])
        bindings = self._client.api.port(container.id, f"{plan.port}/tcp") or []
        if not bindings or any(b.get("HostIp") != LOOPBACK for b in bindings):
            raise ProvisioningError(f"{plan.name}: port {plan.port} not published on loopback")
        host_port = int(bindings[0]["HostPort"])
        url = spec.server.server_url(spec, LOOPBACK, host_port, self._password)
        return StartedNode(plan, str(container.id), host_port, url, address)

    def _endpoint(self, ready_s: float) -> Endpoint:
        spec, recipe, started = self.spec, self.recipe, self.started
        primary = started.nodes[self._nodes[0].name]
        facts = {
            name: read_server_facts(spec, node.url, [*spec.reported_settings, *self.knobs])
            for name, node in started.nodes.items()
            if node.plan.data
        }
        first = facts[primary.plan.name]
        image_id = str(cast("dict[str, Any]", self._client.images.get(self.image).attrs)["Id"])
        provenance = self._provenance
        provenance |= {
            "provisioner": "topology",
            "topology": f"{spec.name}={recipe.name}",
            "topology_nodes": ",".join(f"{n.name}:{n.role}" for n in self._nodes),
            "image": self.image,
            "image_id": image_id,
            "network": started.network,
            "read_from": self.read_from,
            "cpus_per_node": "unlimited" if self.cpus is None else f"{self.cpus:g}",
            "memory_per_node": self.memory or "unlimited",
            "start_to_ready_s": f"{ready_s:.3f}",
        }
        for name, node in started.nodes.items():
            provenance[f"node.{name}.image"] = self.image
            provenance[f"node.{name}.version"] = facts[name].version if name in facts else "-"
            provenance[f"node.{name}.published"] = f"{LOOPBACK}:{node.host_port}"
            provenance[f"node.{name}.address"] = node.address
            provenance[f"node.{name}.container_id"] = node.container_id[:12]
        read_url = None
        if self.read_from == "replica" and recipe.read_node() != primary.plan.name:
            read_url = started.url(recipe.read_node())
        return Endpoint(
            engine=spec.name,
            url=primary.url,
            display_url=redact_url(primary.url),
            version=first.version,
            settings={
                **first.settings,
                **self.client_knobs,
                **{f"topology.{k}": v for k, v in recipe.settings.items()},
            },
            provenance=provenance,
            read_url=read_url,
        )

    def engine_cpu_seconds(self) -> float | None:
        """CPU time all nodes' containers have used so far (Sentinels included: they are
        part of what serves the workload); None when a node cannot say."""
        if self._started is None or self._removed:
            return None
        total = 0.0
        try:
            for node in self._started.nodes.values():
                stats = self._client.api.stats(node.container_id, stream=False, one_shot=True)
                total += int(stats["cpu_stats"]["cpu_usage"]["total_usage"]) / 1e9
        except Exception:
            return None
        return total

    def stop(self) -> None:
        """Remove every container of the topology, then its network. Safe to call again."""
        if self._removed:
            return
        self._removed = True
        if self._lag is not None:
            # The runner records the endpoint's provenance after stopping the engine, so
            # the lag measured over the whole trial lands in this trial's manifest entry.
            self._provenance |= self._lag.stop()
        if self._created:
            client = self._client if self._client is not None else docker_client()
            found = client.api.containers(
                all=True, quiet=True, filters={"label": f"{INSTANCE_LABEL}={self.instance}"}
            )
            for container in found:
                remove_container(client, str(container["Id"]))
            remove_networks(client, self.instance)
            with contextlib.suppress(Exception):
                client.close()
        cleanup.forget(self.instance)
