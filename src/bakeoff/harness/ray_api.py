"""The one module that calls Ray: connect, place, spawn, call, wait, kill, disconnect.

Ray is an optional dependency (`pip install 'bakeoff[ray]'`): it is imported inside
these functions only, so the rest of bakeoff loads without it. Handles Ray returns are
kept opaque (`Actor`, `Pending`, `Placement`); Ray's exceptions become bakeoff's
(`WorkerLostError` for a worker whose node or process is gone).
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bakeoff.engines.cleanup import TERMINATION_SIGNALS, Interrupted, pending_signal
from bakeoff.harness.clients import WorkerLostError

RAY_MISSING = "--cluster needs Ray: pip install 'bakeoff[ray]'"
NAMESPACE = "bakeoff"
_ACTOR_THREADS = 4
"""Calls an actor runs at once: a long poll must not hold up a stop request."""


class RayMissingError(RuntimeError):
    def __init__(self) -> None:
        super().__init__(RAY_MISSING)


def installed() -> bool:
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return True


def auth_mode() -> str:
    """Ray's authentication as this driver is configured: token, or disabled."""
    return os.environ.get("RAY_AUTH_MODE") or "disabled"


def version() -> str:
    import ray

    return str(ray.__version__)


def connect(address: str) -> None:
    """Join the cluster at `address` (ray://HOST:PORT, HOST:PORT or auto) as its driver."""
    if not installed():
        raise RayMissingError
    import ray

    if ray.is_initialized():
        return
    # Ray installs its own handlers; bakeoff's (engines/cleanup.py) must keep deciding
    # what a termination signal does, so that every actor is stopped in order.
    handlers = {signum: signal.getsignal(signum) for signum in TERMINATION_SIGNALS}
    try:
        ray.init(
            address=address,
            namespace=NAMESPACE,
            log_to_driver=False,
            configure_logging=False,
        )
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)


def disconnect() -> None:
    import ray

    if ray.is_initialized():
        ray.shutdown()


@dataclass(frozen=True)
class Node:
    node_id: str
    address: str
    host: str
    cpus: float


def alive_nodes() -> list[Node]:
    import ray

    untyped: Any = ray  # ray.nodes() carries no annotations
    return [
        Node(
            node_id=str(n["NodeID"]),
            address=str(n["NodeManagerAddress"]),
            host=str(n["NodeManagerHostname"]),
            cpus=float(n.get("Resources", {}).get("CPU", 0.0)),
        )
        for n in untyped.nodes()
        if n.get("Alive")
    ]


def current_node_id() -> str:
    """The node the calling process runs on (in an actor: the actor's node)."""
    import ray

    return str(ray.get_runtime_context().get_node_id())


class Pending:
    """The answer to a call, once it arrives (an ObjectRef)."""

    def __init__(self, ref: Any, label: str) -> None:
        self.ref = ref
        self.label = label


class Placement:
    """A placement group: one CPU bundle per worker, spread over the nodes."""

    def __init__(self, group: Any, bundles: int) -> None:
        self.group = group
        self.bundles = bundles


def place(bundles: int, timeout_s: float) -> Placement:
    from ray.util.placement_group import placement_group, remove_placement_group

    group = placement_group([{"CPU": 1.0}] * bundles, strategy="SPREAD")
    if not ready(Pending(group.ready(), "placement group"), timeout_s):
        remove_placement_group(group)
        raise RuntimeError(
            f"the cluster did not offer {bundles} free CPUs for the workers within "
            f"{timeout_s:.0f} s: ask for fewer --processes or add nodes"
        )
    return Placement(group, bundles)


def release(placement: Placement) -> None:
    from ray.util.placement_group import remove_placement_group

    with contextlib.suppress(Exception):
        remove_placement_group(placement.group)


class Actor:
    """One worker process on a node of the cluster."""

    def __init__(self, handle: Any, label: str) -> None:
        self._handle = handle
        self.label = label

    def call(self, method: str, *args: object) -> Pending:
        return Pending(getattr(self._handle, method).remote(*args), self.label)

    def clock(self) -> int:
        """The actor's node's monotonic clock, read now (a blocking call)."""
        return int(get(self.call("clock")))

    def kill(self) -> None:
        import ray

        with contextlib.suppress(Exception):
            ray.kill(self._handle, no_restart=True)


def spawn(cls: type, args: Sequence[object], placement: Placement, bundle: int) -> Actor:
    import ray
    from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

    strategy = PlacementGroupSchedulingStrategy(
        placement_group=placement.group, placement_group_bundle_index=bundle
    )
    remote: Any = ray.remote(cls)
    handle = remote.options(
        num_cpus=1,
        scheduling_strategy=strategy,
        max_restarts=0,
        max_task_retries=0,
        max_concurrency=_ACTOR_THREADS,
        # Ray would report every call (each progress poll) to the GCS for its own
        # dashboards: CPU on the node and the head that the load generator needs.
        enable_task_events=False,
    ).remote(*args)
    return Actor(handle, f"worker {bundle}")


def _signalled(interrupt: KeyboardInterrupt) -> KeyboardInterrupt:
    """Ray turns the exception a signal handler raises during a wait into a bare
    KeyboardInterrupt: give back the signal bakeoff's handler was stopping for."""
    signum = pending_signal()
    if isinstance(interrupt, Interrupted) or signum is None:
        return interrupt
    return Interrupted(signum)


def ready(pending: Pending, timeout_s: float) -> bool:
    import ray

    try:
        done, _ = ray.wait([pending.ref], timeout=timeout_s)
    except KeyboardInterrupt as interrupt:
        raise _signalled(interrupt) from None
    return bool(done)


def get(pending: Pending, timeout_s: float | None = None) -> Any:
    """The call's answer; a lost worker raises WorkerLostError, a failed call
    RuntimeError with the worker's own error, and no answer in time TimeoutError."""
    import ray
    from ray import exceptions

    try:
        return ray.get(pending.ref, timeout=timeout_s)
    except KeyboardInterrupt as interrupt:
        raise _signalled(interrupt) from None
    except exceptions.RayActorError as exc:  # its process or its node is gone
        raise WorkerLostError(f"{pending.label} was lost ({type(exc).__name__})") from exc
    except exceptions.GetTimeoutError as exc:
        raise TimeoutError(f"{pending.label} did not answer within {timeout_s} s") from exc
    except exceptions.RayTaskError as exc:
        cause = exc.cause if exc.cause is not None else exc
        raise RuntimeError(f"{pending.label}: {type(cause).__name__}: {cause}") from exc
