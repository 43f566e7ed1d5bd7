"""The private Docker network of a replicated topology: created per run, labelled like
bakeoff's containers, removed with them.

The nodes of a topology reach each other by name on this network; only their client
ports are published, on 127.0.0.1. A network outlives a process killed outright, so it
carries the owner's pid and host, and `remove_orphaned_networks` (`bakeoff runs
recover`) removes those whose owner is gone, after their containers.
"""

from __future__ import annotations

import contextlib
import os
import socket
from typing import Any

from bakeoff.engines import cleanup
from bakeoff.engines.images import docker_client, docker_sdk

RUN_LABEL = "org.bakeoff.run"
INSTANCE_LABEL = "org.bakeoff.instance"
PID_LABEL = "org.bakeoff.pid"
HOST_LABEL = "org.bakeoff.host"
"""The labels every container and network bakeoff starts carries (container.py uses the
same names)."""


def owner_labels(instance: str) -> dict[str, str]:
    """The labels that say which process of which machine owns a container or network."""
    return {
        RUN_LABEL: "1",
        INSTANCE_LABEL: instance,
        PID_LABEL: str(os.getpid()),
        HOST_LABEL: socket.gethostname(),
    }


def create_network(client: Any, instance: str, engine: str) -> str:
    """A fresh bridge network for one topology; its name."""
    name = f"bakeoff-{engine}-{instance[:12]}"
    client.networks.create(
        name, driver="bridge", labels={**owner_labels(instance), "org.bakeoff.engine": engine}
    )
    return name


def remove_networks(client: Any, instance: str) -> None:
    """Remove the networks of `instance` (their containers must be gone). Safe to repeat."""
    docker = docker_sdk()
    for network in client.networks.list(filters={"label": f"{INSTANCE_LABEL}={instance}"}):
        with contextlib.suppress(docker.errors.NotFound):
            network.remove()


def remove_orphaned_networks() -> list[str]:
    """Remove the networks of bakeoff processes of this machine that are gone; their names.
    Call after removing the orphaned containers: a network in use cannot be removed."""
    client = docker_client()
    host = socket.gethostname()
    docker = docker_sdk()
    removed = []
    try:
        for network in client.networks.list(filters={"label": RUN_LABEL}):
            labels = network.attrs.get("Labels") or {}
            pid = labels.get(PID_LABEL, "")
            if labels.get(HOST_LABEL, host) != host or not pid.isdigit():
                continue
            if cleanup.process_alive(int(pid)):
                continue
            try:
                network.remove()
            except docker.errors.APIError:
                continue
            removed.append(str(network.name))
    finally:
        client.close()
    return removed
