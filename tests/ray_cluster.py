"""A Ray cluster of two nodes on this machine for the tests: a head and one worker node,
each a `ray start --block` in its own process group, so stopping a node is one signal to
its process group and nothing of it is left behind (raylet, GCS, workers).

The nodes stay in the session of the process that starts them: Linux's scheduler, with
autogroups on (kernel.sched_autogroup_enabled), shares the CPU fairly between sessions
first, so nodes in sessions of their own would give their workers a weight against the
engine's processes that this machine's worker processes, in the driver's session, do
not have (benchmarks/ray_vs_local.py compares the two).

Token authentication is on (a fresh token per cluster, in the environment of the nodes
and of every driver the tests start). Ray resolves 127.0.0.1 to the machine's address
for what it publishes; the nodes are started with --node-ip-address 127.0.0.1 anyway.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

RAY = str(Path(sys.executable).with_name("ray"))
# What docs/distributed.md recommends for a load-generator cluster: no log monitor (a
# bakeoff driver does not take the workers' output), no metrics collection or event
# statistics, workers at normal priority.
_NODE_OPTIONS = [
    "--object-store-memory",
    str(100 * 1024 * 1024),
    "--disable-usage-stats",
    "--include-log-monitor",
    "false",
]
AUTH_ENV = {"RAY_AUTH_MODE": "token", "RAY_USAGE_STATS_ENABLED": "0"}
_NODE_ENV = {
    "RAY_worker_niceness": "0",
    "RAY_enable_metrics_collection": "0",
    "RAY_event_stats": "0",
}
_STOP_S = 10.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalRayCluster:
    def __init__(self, root: Path, cpus_per_node: int = 4) -> None:
        self.root = root
        self.cpus = cpus_per_node
        self.port = _free_port()
        self.client_port = _free_port()
        self.env = {**os.environ, **AUTH_ENV, "RAY_AUTH_TOKEN": secrets.token_hex(16)}
        self.head: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        """The GCS address a driver on this machine joins."""
        return f"127.0.0.1:{self.port}"

    @property
    def client_address(self) -> str:
        return f"ray://127.0.0.1:{self.client_port}"

    def _start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.root / f"{name}.log").open("ab")
        return subprocess.Popen(
            [RAY, "start", "--block", "--node-ip-address", "127.0.0.1", *_NODE_OPTIONS, *args],
            env={**self.env, **_NODE_ENV},
            stdout=log,
            stderr=subprocess.STDOUT,
            process_group=0,
        )

    def start(self) -> None:
        self.head = self._start(
            "head",
            "--head",
            "--port",
            str(self.port),
            "--ray-client-server-port",
            str(self.client_port),
            "--num-cpus",
            str(self.cpus),
            "--include-dashboard",
            "false",
            "--temp-dir",
            str(self.root / "ray"),
        )
        self.start_worker()

    def start_worker(self) -> None:
        self.worker = self._start("worker", "--address", self.address, "--num-cpus", str(self.cpus))
        self.wait_for_nodes(2)

    def alive_nodes(self) -> int:
        script = (
            f"import ray; ray.init(address={self.address!r}, log_to_driver=False); "
            "print(sum(1 for n in ray.nodes() if n['Alive']))"
        )
        done = subprocess.run(
            [sys.executable, "-c", script],
            check=False,
            env=self.env,
            capture_output=True,
            text=True,
        )
        try:
            return int(done.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return 0

    def wait_for_nodes(self, count: int, timeout_s: float = 120.0) -> None:
        deadline = time.monotonic() + timeout_s
        while self.alive_nodes() != count:
            for node in (self.head, self.worker):
                if node is not None and node.poll() is not None:
                    raise RuntimeError(f"a Ray node exited: {self.logs()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the Ray cluster has not {count} nodes: {self.logs()}")
            time.sleep(1)

    def logs(self) -> str:
        return "".join(p.read_text(errors="replace")[-2000:] for p in self.root.glob("*.log"))

    @staticmethod
    def stop_node(node: subprocess.Popen[bytes] | None) -> None:
        """The node's whole process group: SIGTERM, then SIGKILL for what lingers."""
        if node is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(node.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            node.wait(_STOP_S)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(node.pid, signal.SIGKILL)
        node.wait()

    def process_groups(self) -> set[int]:
        """The process group of each node: its raylet, agents and workers."""
        return {node.pid for node in (self.head, self.worker) if node is not None}

    def kill_worker(self) -> None:
        """The worker node dies at once, as a machine that loses power."""
        assert self.worker is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait()
        self.worker = None

    def stop(self) -> None:
        self.stop_node(self.worker)
        self.stop_node(self.head)
        self.worker = self.head = None

    @contextlib.contextmanager
    def driver_env(self) -> Iterator[None]:
        """This process as a driver: the token and mode in its environment."""
        saved = {k: os.environ.get(k) for k in (*AUTH_ENV, "RAY_AUTH_TOKEN")}
        os.environ.update({k: self.env[k] for k in saved})
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@contextlib.contextmanager
def local_ray_cluster(root: Path) -> Iterator[LocalRayCluster]:
    if shutil.which(RAY) is None:
        import pytest

        pytest.skip("Ray is not installed (pip install 'bakeoff[ray]')")
    cluster = LocalRayCluster(root)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
