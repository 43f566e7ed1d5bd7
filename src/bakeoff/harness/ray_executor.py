"""Worker processes as Ray actors over a cluster's nodes (`bakeoff run --cluster`).

Each worker is an actor in one bundle (one CPU) of a placement group spread over the
nodes, built from the same arguments as a local worker process: the same connection
indexes, so the same deterministic key slices and the same share of an open loop's
rate. Before the first phase the driver measures every worker's clock offset; each
phase starts on a barrier a little in the future, which every node reaches on its own
clock, and each node's per-interval histograms come back on the driver's timeline and
are merged exactly like a local worker's.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from bakeoff.core.endpoint import Endpoint
from bakeoff.engines.catalog import Provision, engine_spec
from bakeoff.harness import clock_offset, ray_api
from bakeoff.harness.clients import ClientGroup, PhaseCommand, PhaseResult
from bakeoff.harness.load_report import SATURATION
from bakeoff.harness.ray_group import RayClientGroup, WorkerPlace
from bakeoff.harness.ray_worker import ClientActor

PLACEMENT_TIMEOUT_S = 60.0
_BARRIER_S = 0.2
"""How far ahead of now a phase starts: time for the start command to reach every node."""
_LOOPBACK = ("localhost", "::1")


class UnreachableEngineError(RuntimeError):
    pass


class RayExecutor:
    """Worker processes as actors of the Ray cluster at `address`."""

    def __init__(self, address: str) -> None:
        self.address = address
        self._placement: ray_api.Placement | None = None
        self._groups: list[RayClientGroup] = []

    def _placed(self, workers: int) -> ray_api.Placement:
        ray_api.connect(self.address)
        if self._placement is not None and self._placement.bundles != workers:
            ray_api.release(self._placement)
            self._placement = None
        if self._placement is None:
            self._placement = ray_api.place(workers, PLACEMENT_TIMEOUT_S)
        return self._placement

    def groups(
        self, slices: Sequence[Sequence[int]], group_args: Mapping[str, Any], *, spawn: bool
    ) -> list[ClientGroup]:
        placement = self._placed(len(slices))
        refuse_unreachable(group_args["endpoint"], ray_api.alive_nodes())
        version = ray_api.version()
        actors = [
            ray_api.spawn(
                ClientActor, ({**group_args, "connections": list(s)}, version), placement, i
            )
            for i, s in enumerate(slices)
        ]
        self._groups = []
        try:
            for slot, (actor, connections) in enumerate(zip(actors, slices, strict=True)):
                node = ray_api.get(actor.call("node"))
                place = WorkerPlace(
                    slot=slot,
                    node_id=str(node["node_id"]),
                    node=node,
                    clock=clock_offset.measure(actor.clock),
                )
                self._groups.append(RayClientGroup(actor, list(connections), place))
        except BaseException:
            for actor in actors:
                actor.kill()
            raise
        return list(self._groups)

    def schedule(self, command: PhaseCommand) -> PhaseCommand:
        worst = max((g.place.clock.uncertainty_ns for g in self._groups), default=0)
        start = max(command.start_ns, time.perf_counter_ns() + int(_BARRIER_S * 1e9) + 4 * worst)
        shift = start - command.start_ns
        deadline = command.deadline_ns
        return replace(
            command, start_ns=start, deadline_ns=None if deadline is None else deadline + shift
        )

    def placement(self, results: Mapping[int, PhaseResult]) -> dict[str, object]:
        return {
            "cluster": self.address,
            "ray_auth": ray_api.auth_mode(),
            "nodes": node_report(self._groups, results),
        }

    def close(self) -> None:
        if self._placement is not None:
            ray_api.release(self._placement)
            self._placement = None
        ray_api.disconnect()


def node_report(
    groups: Sequence[RayClientGroup], results: Mapping[int, PhaseResult]
) -> list[dict[str, object]]:
    """Per node: what it is, its clock offset, its share of the work and how busy it was."""
    by_node: dict[str, list[int]] = {}
    for i, group in enumerate(groups):
        by_node.setdefault(group.place.node_id, []).append(i)
    report = []
    for node_id, members in by_node.items():
        places = [groups[i].place for i in members]
        best = min((p.clock for p in places), key=lambda c: c.uncertainty_ns)
        done = [results[i] for i in members if i in results]
        utilisation = [r.cpu_s / r.wall_s if r.wall_s > 0 else 0.0 for r in done]
        cores = int(str(places[0].node.get("cores", 1)))
        cpu = sum(r.cpu_s for r in done) / max(r.wall_s for r in done) if done else 0.0
        report.append(
            {
                "node_id": node_id,
                **{k: v for k, v in places[0].node.items() if k != "node_id"},
                **best.describe(),
                "workers": [p.slot for p in places],
                "connections": [c for i in members for c in groups[i].connections],
                "operations": sum(r.completed for r in done),
                "client_process_utilisation": utilisation,
                "client_saturated": bool(utilisation)
                and (max(utilisation) >= SATURATION or cpu >= SATURATION * cores),
                "lost": any(groups[i].lost for i in members),
            }
        )
    return report


def _hosts_elsewhere(nodes: Sequence[ray_api.Node]) -> list[str]:
    """Hosts of the nodes that run workers, other than this machine."""
    here = socket.gethostname()
    return sorted({n.host for n in nodes if n.host != here and n.cpus > 0})


def embedded_refusal(engine: str, nodes: Sequence[ray_api.Node]) -> str | None:
    """Why an embedded engine cannot run on these nodes, if it cannot: its database is a
    file on this machine. On a cluster whose nodes all run here every worker opens it."""
    elsewhere = _hosts_elsewhere(nodes)
    if not elsewhere:
        return None
    return (
        f"{engine} is embedded: its database is a file on this machine, which Ray nodes "
        f"on {', '.join(elsewhere)} cannot open; run it without --cluster"
    )


def refuse_unreachable(endpoint: Endpoint, nodes: Sequence[ray_api.Node]) -> None:
    """Refuse nodes on other hosts for an engine only this host reaches: an embedded
    one, or one listening on loopback."""
    if engine_spec(endpoint.engine).provision is Provision.EMBEDDED:
        refusal = embedded_refusal(endpoint.engine, nodes)
        if refusal is not None:
            raise UnreachableEngineError(refusal)
        return
    host = urlsplit(endpoint.url).hostname or ""
    if not (host.startswith("127.") or host in _LOOPBACK):
        return
    elsewhere = _hosts_elsewhere(nodes)
    if elsewhere:
        raise UnreachableEngineError(
            f"{endpoint.engine} listens on {host} (loopback), which Ray nodes on "
            f"{', '.join(elsewhere)} cannot reach: give --url with an address every node reaches"
        )
