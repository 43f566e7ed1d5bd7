"""A container's resource use: CPU, memory, block I/O and network, as telemetry readings.

The one place bakeoff reads a container's statistics. It prefers the kernel's own files,
which cost microseconds: the container's cgroup (v2 `cpu.stat`, `memory.stat`, `io.stat`;
or v1 `cpuacct.*`, `memory.stat`, `blkio.throttle.io_service_bytes_recursive`), found
from the cgroup paths in `/proc/<container's first pid>/cgroup` under /sys/fs/cgroup, and
`/proc/<pid>/net/dev` for the container's network namespace, each kept open and re-read
from its start (`OpenFiles`). Where those are not visible
(bakeoff itself in a container, another host's Docker), it falls back to Docker's
one-shot stats, which answer in milliseconds to a second on a busy daemon, so the
fallback is used only when the files cannot be read.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bakeoff.core.telemetry import MetricKind, MetricReading

CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC = Path("/proc")
SOURCE = "container"
_C, _G = MetricKind.COUNTER, MetricKind.GAUGE
UNITS: Mapping[str, tuple[str, MetricKind]] = {
    "container.cpu_user_s": ("s", _C),
    "container.cpu_system_s": ("s", _C),
    "container.memory_anon_bytes": ("bytes", _G),
    "container.memory_file_bytes": ("bytes", _G),
    "container.io_read_bytes": ("bytes", _C),
    "container.io_write_bytes": ("bytes", _C),
    "container.net_rx_bytes": ("bytes", _C),
    "container.net_tx_bytes": ("bytes", _C),
}
"""Every metric this source may report, with its unit and kind."""


def _readings(values: Mapping[str, float]) -> list[MetricReading]:
    return [
        MetricReading(metric, value, *UNITS[metric])
        for metric, value in values.items()
        if metric in UNITS
    ]


def _keyed(text: str) -> dict[str, int]:
    """ "key value" lines (memory.stat, cpu.stat, cpuacct.stat) as a mapping."""
    found = {}
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        with contextlib.suppress(ValueError):
            found[key] = int(value)
    return found


def network_bytes(net_dev: str) -> dict[str, float]:
    """Received and sent bytes over every interface but loopback, from /proc/<pid>/net/dev."""
    rx = tx = 0
    for line in net_dev.splitlines()[2:]:
        name, _, counters = line.partition(":")
        fields = counters.split()
        if name.strip() == "lo" or len(fields) < 9:
            continue
        rx += int(fields[0])
        tx += int(fields[8])
    return {"container.net_rx_bytes": rx, "container.net_tx_bytes": tx}


def _io_v2(text: str) -> dict[str, float]:
    read = written = 0
    for line in text.splitlines():
        fields = dict(f.split("=", 1) for f in line.split()[1:] if "=" in f)
        read += int(fields.get("rbytes", 0))
        written += int(fields.get("wbytes", 0))
    return {"container.io_read_bytes": read, "container.io_write_bytes": written}


def _io_v1(text: str) -> dict[str, float]:
    read = written = 0
    for line in text.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[1] == "Read":
            read += int(fields[2])
        elif len(fields) == 3 and fields[1] == "Write":
            written += int(fields[2])
    return {"container.io_read_bytes": read, "container.io_write_bytes": written}


class OpenFiles:
    """Kernel files kept open and re-read from their start: one system call a reading
    (opening and closing each time cost ten times as much, measured on a container)."""

    SIZE = 1 << 16

    def __init__(self) -> None:
        self._fds: dict[Path, int] = {}
        self._lock = threading.Lock()

    def read(self, path: Path) -> str:
        fd = self._fds.get(path)
        if fd is None:
            with self._lock:
                fd = self._fds.get(path)
                if fd is None:
                    fd = self._fds[path] = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        return os.pread(fd, self.SIZE, 0).decode()

    def close(self) -> None:
        """Close every file; a later read opens it again."""
        with self._lock:
            fds, self._fds = self._fds, {}
        for fd in fds.values():
            with contextlib.suppress(OSError):
                os.close(fd)


class CgroupFiles:
    """The container's cgroup and network counters read from the kernel's files."""

    def __init__(self, pid: int, root: Path = CGROUP_ROOT, proc: Path = PROC) -> None:
        self.files = OpenFiles()
        read = self.files.read
        self.net_dev = proc / str(pid) / "net" / "dev"
        paths: dict[str, str] = {}
        for line in (proc / str(pid) / "cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                # "/" is the root group: the whole host, as a process in another
                # cgroup namespace sees the container; never read as the container's.
                if path.strip("/"):
                    paths[controller] = path.lstrip("/")
        self.read_cpu: Callable[[], tuple[float, float, float]]
        self.read_rest: Callable[[], dict[str, float]]
        unified = root / paths.get("", "\0")
        if (root / "cgroup.controllers").is_file() and (unified / "cpu.stat").is_file():
            self._v2(unified, read)
        elif "cpuacct" in paths:
            self._v1(root, paths, read)
        else:
            raise FileNotFoundError(f"no cgroup of pid {pid} under {root}")
        self.read_cpu()  # fails now, not in the first interval, when unreadable

    def _v2(self, group: Path, read: Callable[[Path], str]) -> None:
        io = group / "io.stat"
        has_io = io.is_file()

        def cpu() -> tuple[float, float, float]:
            stat = _keyed(read(group / "cpu.stat"))
            return stat["usage_usec"] / 1e6, stat["user_usec"] / 1e6, stat["system_usec"] / 1e6

        def rest() -> dict[str, float]:
            memory = _keyed(read(group / "memory.stat"))
            return {
                "container.memory_anon_bytes": memory.get("anon", 0),
                "container.memory_file_bytes": memory.get("file", 0),
                **(_io_v2(read(io)) if has_io else {}),
            }

        self.read_cpu, self.read_rest = cpu, rest

    def _v1(self, root: Path, paths: Mapping[str, str], read: Callable[[Path], str]) -> None:
        # "cpu,cpuacct" hierarchies are mounted under both names (symlinks) as well.
        cpuacct = root / "cpuacct" / paths["cpuacct"]
        memory = root / "memory" / paths.get("memory", "\0")
        blkio = root / "blkio" / paths.get("blkio", "\0")
        blkio_bytes = blkio / "blkio.throttle.io_service_bytes_recursive"
        has_memory, has_io = (memory / "memory.stat").is_file(), blkio_bytes.is_file()

        def cpu() -> tuple[float, float, float]:
            user = int(read(cpuacct / "cpuacct.usage_user")) / 1e9
            system = int(read(cpuacct / "cpuacct.usage_sys")) / 1e9
            return int(read(cpuacct / "cpuacct.usage")) / 1e9, user, system

        def rest() -> dict[str, float]:
            found: dict[str, float] = {}
            if has_memory:
                stat = _keyed(read(memory / "memory.stat"))
                found["container.memory_anon_bytes"] = stat.get("rss", 0)
                found["container.memory_file_bytes"] = stat.get("cache", 0)
            if has_io:
                found.update(_io_v1(read(blkio_bytes)))
            return found

        self.read_cpu, self.read_rest = cpu, rest

    def read(self) -> dict[str, float]:
        _, user, system = self.read_cpu()
        found = {"container.cpu_user_s": user, "container.cpu_system_s": system}
        found.update(self.read_rest())
        with contextlib.suppress(OSError):
            found.update(network_bytes(self.files.read(self.net_dev)))
        return found


def docker_stats_values(stats: Mapping[str, Any]) -> dict[str, float]:
    """Docker's stats answer (cgroup v1 or v2 underneath) as this source's metrics."""
    found: dict[str, float] = {}
    usage = stats.get("cpu_stats", {}).get("cpu_usage", {})
    if "usage_in_usermode" in usage:
        found["container.cpu_user_s"] = int(usage["usage_in_usermode"]) / 1e9
        found["container.cpu_system_s"] = int(usage["usage_in_kernelmode"]) / 1e9
    memory = stats.get("memory_stats", {}).get("stats") or {}
    for metric, keys in (
        ("container.memory_anon_bytes", ("anon", "rss")),
        ("container.memory_file_bytes", ("file", "cache")),
    ):
        present = [memory[k] for k in keys if k in memory]
        if present:
            found[metric] = int(present[0])
    io = stats.get("blkio_stats", {}).get("io_service_bytes_recursive") or []
    if io:
        found["container.io_read_bytes"] = sum(
            int(e["value"]) for e in io if str(e.get("op")).lower() == "read"
        )
        found["container.io_write_bytes"] = sum(
            int(e["value"]) for e in io if str(e.get("op")).lower() == "write"
        )
    networks = stats.get("networks") or {}
    if networks:
        found["container.net_rx_bytes"] = sum(int(n["rx_bytes"]) for n in networks.values())
        found["container.net_tx_bytes"] = sum(int(n["tx_bytes"]) for n in networks.values())
    return found


def memory_in_use(stats: Mapping[str, Any]) -> int | None:
    """Memory in use as `docker stats` counts it: the cgroup's usage less the page cache
    it could drop (inactive_file on cgroup v2, total_inactive_file on v1)."""
    try:
        memory = stats["memory_stats"]
        detail = memory.get("stats", {})
        cache = detail.get("inactive_file", detail.get("total_inactive_file", 0))
        return max(0, int(memory["usage"]) - int(cache))
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


class ContainerStatsSource:
    """A `TelemetrySource` of one container: its cgroup's files, else Docker's stats.

    `client` is a docker SDK client; the source does not own it (its provisioner does).
    """

    name = SOURCE

    def __init__(self, client: Any, container_id: str) -> None:
        self._client = client
        self._container_id = container_id
        self._files: CgroupFiles | None = None
        with contextlib.suppress(Exception):
            pid = int(client.api.inspect_container(container_id)["State"]["Pid"])
            self._files = CgroupFiles(pid)

    @property
    def reads_files(self) -> bool:
        """True when the kernel's files are read; False when Docker's stats are."""
        return self._files is not None

    def _docker_stats(self) -> Mapping[str, Any]:
        stats = self._client.api.stats(self._container_id, stream=False, one_shot=True)
        return stats if isinstance(stats, dict) else {}

    def read(self) -> Sequence[MetricReading]:
        if self._files is not None:
            return _readings(self._files.read())
        return _readings(docker_stats_values(self._docker_stats()))

    def cpu_seconds(self) -> float:
        """CPU time all the container's processes have used so far (user + system)."""
        if self._files is not None:
            return self._files.read_cpu()[0]
        return int(self._docker_stats()["cpu_stats"]["cpu_usage"]["total_usage"]) / 1e9

    def close(self) -> None:
        """Close the files it keeps open (a later read opens them again); the docker
        client is the provisioner's."""
        if self._files is not None:
            self._files.files.close()
