"""Throughput of the local executor against the Ray executor at the same worker count.

Eight worker processes run YCSB-C against Redis and PostgreSQL (containers bakeoff
starts), once on this machine and once as actors of a two-node Ray cluster on this
machine (tests/ray_cluster.py), alternately, three times each; prints every run, the
medians and Ray's ratio to local (the bar is 0.9). On a shared machine the figures are
indicative: the load average is printed beside them.

Run from the repository root (it starts the tests' cluster), with Docker and Ray:
    PYTHONPATH=. python benchmarks/ray_vs_local.py [ENGINE...]   (default: redis postgres)
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

from bakeoff.api import run_benchmark
from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.container import ContainerProvisioner
from bakeoff.engines.images import build_images
from bakeoff.engines.provisioning import EngineOptions
from bakeoff.harness.options import RunOptions
from tests.ray_cluster import local_ray_cluster

WORKERS = 8
REPEATS = 3
ENGINES = ("redis", "postgres")


def throughput(engine: str, url: str, cluster: str | None, output: Path) -> float:
    result = run_benchmark(
        ["ycsb-c"],
        [engine],
        RunOptions(
            processes=WORKERS,
            records=1000,
            duration_s=5.0,
            warmup_s=1.0,
            cluster=cluster,
            output=output,
            engine_options=EngineOptions(urls={engine: url}),
        ),
    )
    (trial,) = result.trials
    if trial.status != "ok":
        raise RuntimeError(f"{engine} ({cluster or 'local'}): {trial.error}")
    measure = trial.load_generator["measure"]
    assert isinstance(measure, dict)
    return float(measure["achieved_ops_per_s"])


def main() -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        local_ray_cluster(Path(tmp)) as cluster,
        cluster.driver_env(),
    ):
        for engine in sys.argv[1:] or ENGINES:
            image = next(r.image for r in build_images([engine]) if r.engine == engine)
            with ContainerProvisioner(engine_spec(engine), image=image) as endpoint:
                runs: dict[str, list[float]] = {"local": [], "ray": []}
                for i in range(REPEATS):
                    pair = [("local", None), ("ray", cluster.address)]
                    # Which goes first alternates too: a machine whose load drifts
                    # during the benchmark then favours neither.
                    for label, address in pair if i % 2 == 0 else pair[::-1]:
                        ops = throughput(engine, endpoint.url, address, Path(tmp))
                        runs[label].append(ops)
                        print(f"{engine} {label} run {i + 1}: {ops:,.0f} ops/s", flush=True)
                local, ray = (statistics.median(runs[k]) for k in ("local", "ray"))
                print(
                    f"{engine}: local {local:,.0f} ops/s, ray {ray:,.0f} ops/s, "
                    f"ratio {ray / local:.2f} (median of {REPEATS}, {WORKERS} workers)"
                )
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
