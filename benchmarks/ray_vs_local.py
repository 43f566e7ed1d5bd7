"""Throughput of the local executor against the Ray executor at the same worker count.

Eight worker processes run YCSB-C against Redis and PostgreSQL (containers bakeoff
starts), once on this machine and once as actors of a two-node Ray cluster on this
machine (tests/ray_cluster.py), alternately, three times each; prints every run with
where the measure phase's CPU went, the medians and Ray's ratio to local (the bar is
0.9). On a shared machine the figures are indicative: the load average is printed
beside each run.

CPU per operation, in microseconds, of the measure phase: `client` (the worker
processes, from the manifest), `engine` (the container), `driver` (this process) and
`ray` (the cluster's own processes: GCS, raylets, agents; idle during local runs).
Both executors run 8 processes of 1 client each, so the same client I/O (a blocking
thread per connection), and count operations and wall time alike (a Ray phase's wall
time starts at its start barrier). The cluster runs as docs/distributed.md recommends
for load generators, in this process's session (tests/ray_cluster.py says why).

Run from the repository root (it starts the tests' cluster), with Docker and Ray:
    PYTHONPATH=. python benchmarks/ray_vs_local.py [ENGINE...]   (default: redis postgres)
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

import psutil

from bakeoff.api import run_benchmark
from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.container import ContainerProvisioner
from bakeoff.engines.images import build_images
from bakeoff.engines.provisioning import EngineOptions
from bakeoff.harness.options import RunOptions
from bakeoff.harness.progress import SilentProgress
from tests.ray_cluster import LocalRayCluster, local_ray_cluster

WORKERS = 8
REPEATS = 3
ENGINES = ("redis", "postgres")


def _cpu_s(process: psutil.Process) -> float | None:
    try:
        times = process.cpu_times()
    except psutil.Error:
        return None
    return float(times.user + times.system)


class MeasureCpu(SilentProgress):
    """The CPU seconds of this process and of the Ray cluster's own processes (not
    its workers, which the manifest accounts for) over the measure phase."""

    def __init__(self, cluster: LocalRayCluster, engine: ContainerProvisioner) -> None:
        self._groups = cluster.process_groups()
        self._engine = engine
        self._engine_start: float | None = None
        self.engine_s: float | None = None
        self._start: dict[int, tuple[psutil.Process, float]] = {}
        self.driver_s = 0.0
        self.ray_s = 0.0

    def _ray_processes(self) -> list[psutil.Process]:
        found = []
        for process in psutil.process_iter(["cmdline"]):
            try:
                if os.getpgid(process.pid) not in self._groups:
                    continue
            except OSError:
                continue
            if not " ".join(process.info["cmdline"] or []).startswith("ray::ClientActor"):
                found.append(process)
        return found

    def phase_started(self, phase: str, total_ops: int | None, duration_s: float | None) -> None:
        if phase == "measure":
            self._engine_start = self._engine.engine_cpu_seconds()
            watched = [psutil.Process(), *self._ray_processes()]
            self._start = {p.pid: (p, cpu) for p in watched if (cpu := _cpu_s(p)) is not None}

    def phase_finished(self, phase: str, completed_ops: int, elapsed_s: float) -> None:
        if phase != "measure":
            return
        end = self._engine.engine_cpu_seconds()
        if end is not None and self._engine_start is not None:
            self.engine_s = end - self._engine_start
        for pid, (process, before) in self._start.items():
            after = _cpu_s(process)
            if after is None:
                continue
            if pid == os.getpid():
                self.driver_s = after - before
            else:
                self.ray_s += after - before


def run_once(
    engine: ContainerProvisioner, url: str, cluster: LocalRayCluster, on_ray: bool, output: Path
) -> tuple[float, str]:
    """Achieved ops/s of the measure phase and a line of its figures."""
    meter = MeasureCpu(cluster, engine)
    name = engine.spec.name
    result = run_benchmark(
        ["ycsb-c"],
        [name],
        RunOptions(
            processes=WORKERS,
            records=1000,
            duration_s=5.0,
            warmup_s=1.0,
            cluster=cluster.address if on_ray else None,
            output=output,
            engine_options=EngineOptions(urls={name: url}),
        ),
        progress=meter,
    )
    (trial,) = result.trials
    if trial.status != "ok":
        raise RuntimeError(f"{name} ({'ray' if on_ray else 'local'}): {trial.error}")
    measure = trial.load_generator["measure"]
    assert isinstance(measure, dict)
    ops = float(measure["achieved_ops_per_s"])
    done = int(measure["operations"])

    def per_op(seconds: object) -> str:
        return f"{float(seconds) / done * 1e6:5.1f}" if isinstance(seconds, float) else "  ?"

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return ops, (
        f"{ops:9,.0f} ops/s in {float(measure['wall_s']):.3f} s; CPU us/op client "
        f"{per_op(measure['client_cpu_s'])} engine {per_op(meter.engine_s)} driver "
        f"{per_op(meter.driver_s)} ray {per_op(meter.ray_s)}; load average {load}"
    )


def main() -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        local_ray_cluster(Path(tmp)) as cluster,
        cluster.driver_env(),
    ):
        for engine in sys.argv[1:] or ENGINES:
            image = next(r.image for r in build_images([engine]) if r.engine == engine)
            provisioner = ContainerProvisioner(engine_spec(engine), image=image)
            with provisioner as endpoint:
                runs: dict[str, list[float]] = {"local": [], "ray": []}
                for i in range(REPEATS):
                    # Which goes first alternates too: a machine whose load drifts
                    # during the benchmark then favours neither.
                    for on_ray in (False, True) if i % 2 == 0 else (True, False):
                        label = "ray" if on_ray else "local"
                        ops, line = run_once(provisioner, endpoint.url, cluster, on_ray, Path(tmp))
                        runs[label].append(ops)
                        print(f"{engine} {label:5} run {i + 1}: {line}", flush=True)
                local, ray = (statistics.median(runs[k]) for k in ("local", "ray"))
                print(
                    f"{engine}: local {local:,.0f} ops/s, ray {ray:,.0f} ops/s, "
                    f"ratio {ray / local:.2f} (median of {REPEATS}, {WORKERS} workers)",
                    flush=True,
                )
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
