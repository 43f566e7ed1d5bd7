"""What carries a published port's traffic into the container: part of every latency.

By default dockerd forwards each published port through `docker-proxy`, a process that
copies every byte between the host's socket and the container's. On a 2-core machine it
used half a core at 10,000 Redis operations per second and held redis-benchmark to
32,000–37,000 ops/s where 75,000–92,000 went through without it (docs/load-generator.md). Whether it
sat in the path is therefore recorded with each engine's provenance.
"""

from __future__ import annotations

import itertools
import json
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


DAEMON_CONFIG = Path("/etc/docker/daemon.json")


def dockerd_userland_proxy(
    *, proc: Path = Path("/proc"), config: Path = DAEMON_CONFIG
) -> tuple[bool | None, str]:
    """Does this host's dockerd copy published ports through docker-proxy, and how that
    was found: (True/False, where it was read) or (None, why it cannot be told).

    Read before any container runs (`bakeoff doctor`, the warning of `bakeoff run`):
    dockerd's command line, else its daemon.json, else Docker's default (on).
    """
    docker_host = os.environ.get("DOCKER_HOST", "")
    if docker_host and not docker_host.startswith("unix://"):
        return None, UNKNOWN_REMOTE
    if not proc.is_dir():
        return None, UNKNOWN_NO_PROC
    argv = _dockerd_argv(proc)
    if argv is None:
        return None, "unknown (no dockerd process visible on this host)"
    flag_value = _flag(argv, "--userland-proxy")
    if flag_value is not None:
        return _truthy(flag_value), "dockerd --userland-proxy"
    config = Path(_flag(argv, "--config-file") or config)
    try:
        settings = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        settings = {}
    if isinstance(settings, dict) and "userland-proxy" in settings:
        return bool(settings["userland-proxy"]), str(config)
    return True, "Docker's default (no --userland-proxy=false)"


def _flag(argv: list[str], name: str) -> str | None:
    """The value of `--name=value` or `--name value` on a command line; a bare boolean
    flag (`--userland-proxy`) reads as "true"."""
    for flag, value in itertools.pairwise([*argv, ""]):
        if flag.startswith(f"{name}="):
            return flag.partition("=")[2]
        if flag == name:
            return value if value and not value.startswith("-") else "true"
    return None


def _truthy(text: str) -> bool:
    return text.strip().lower() not in {"false", "0", "no"}


def _dockerd_argv(proc: Path) -> list[str] | None:
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if argv and Path(argv[0]).name == "dockerd":
            return argv
    return None
