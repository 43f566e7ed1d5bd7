"""What carries a published port's traffic into the container: part of every latency.

By default dockerd forwards each published port through `docker-proxy`, a process that
copies every byte between the host's socket and the container's. On a 2-core machine it
used half a core at 10,000 Redis operations per second and held redis-benchmark to
32,000–37,000 ops/s where 75,000–92,000 went through without it (docs/load-generator.md). Whether it
sat in the path is therefore recorded with each engine's provenance.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

USERLAND_PROXY = "docker-proxy (a userland copy between client and engine)"
KERNEL = "kernel (no docker-proxy for the port: iptables forwarding)"
UNKNOWN_REMOTE = "unknown (the Docker daemon is not on this host)"
UNKNOWN_NO_PROC = "unknown (no /proc to look for docker-proxy)"


def port_forwarding(host_port: int, *, proc: Path = Path("/proc")) -> str:
    """How 127.0.0.1:`host_port` reaches its container, as seen from this host."""
    docker_host = os.environ.get("DOCKER_HOST", "")
    if docker_host and not docker_host.startswith("unix://"):
        return UNKNOWN_REMOTE
    if not proc.is_dir():
        return UNKNOWN_NO_PROC
    wanted = str(host_port)
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:  # the process ended meanwhile, or is not ours to read
            continue
        if not argv or not argv[0].endswith("docker-proxy"):
            continue
        for flag, value in itertools.pairwise(argv):
            if flag == "-host-port" and value == wanted:
                return USERLAND_PROXY
    return KERNEL
