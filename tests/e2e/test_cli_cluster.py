"""`bakeoff run --cluster`: the command line on a two-node Ray cluster on this machine."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bakeoff.results import load, load_manifest
from tests.bakeoff_process import bakeoff
from tests.e2e.cli_process import RunningBakeoff
from tests.ray_cluster import LocalRayCluster

pytestmark = pytest.mark.slow


@pytest.mark.docker
def test_ycsb_c_on_redis_over_two_nodes_records_both(
    ray_cluster: LocalRayCluster, engine_image: Callable[[str], str], tmp_path: Path
) -> None:
    result = bakeoff(
        "run",
        "ycsb-c",
        "--engine",
        "redis",
        "--image",
        engine_image("redis"),
        "--cluster",
        ray_cluster.address,
        "--processes",
        "4",
        "--records",
        "300",
        "--operations",
        "4000",
        "--warmup",
        "0",
        "--output",
        str(tmp_path),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    (run,) = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["options"]["cluster"] == ray_cluster.address
    (trial,) = manifest["trials"]
    measure = trial["load_generator"]["measure"]
    assert measure["operations"] == 4000
    nodes = measure["nodes"]
    assert len(nodes) == 2
    assert sum(n["operations"] for n in nodes) == 4000
    assert sorted(w for n in nodes for w in n["workers"]) == [0, 1, 2, 3]
    for node in nodes:
        assert isinstance(node["clock_offset_ns"], int)
        assert node["clock_offset_uncertainty_ns"] >= 0
        assert node["host"] and node["ray"] and node["python"]


def test_cluster_without_ray_installed_says_how_to_install_it(tmp_path: Path) -> None:
    # A `ray` package that cannot be imported stands in for Ray not being installed.
    fake = tmp_path / "no-ray" / "ray"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('no Ray here')\n")
    result = bakeoff(
        "run",
        "ycsb-c",
        "--engine",
        "sqlite",
        "--cluster",
        "auto",
        cwd=tmp_path,
        env={"PYTHONPATH": str(fake.parent)},
    )
    assert result.returncode == 2
    assert "pip install 'bakeoff[ray]'" in result.stderr


def _actors_and_placement_groups(cluster: LocalRayCluster) -> tuple[int, int]:
    """Worker processes still hosting a bakeoff actor, and placement groups not removed."""
    ps = subprocess.run(
        ["ps", "-eo", "pid=,ppid=,pgid=,args="], capture_output=True, text=True, check=True
    )
    rows = [line.split(maxsplit=3) for line in ps.stdout.splitlines()]
    group_of = {int(row[0]): int(row[2]) for row in rows}
    # Ray starts each worker in a session of its own, as a child of its node's raylet.
    actors = sum(
        len(row) == 4
        and row[3].startswith("ray::ClientActor")
        and group_of.get(int(row[1])) in cluster.process_groups()
        for row in rows
    )
    script = (
        f"import ray; ray.init(address={cluster.address!r}, log_to_driver=False); "
        "from ray.util import placement_group_table as t; "
        "print(sum(g['state'] != 'REMOVED' for g in t().values()))"
    )
    groups = subprocess.run(
        [sys.executable, "-c", script], env=cluster.env, capture_output=True, text=True, check=True
    )
    return actors, int(groups.stdout.strip().splitlines()[-1])


def test_sigterm_stops_every_actor_within_seconds_and_keeps_the_intervals(
    ray_cluster: LocalRayCluster, tmp_path: Path
) -> None:
    run = RunningBakeoff(
        "run", "ycsb-c", "--engine", "sqlite", "--cluster", ray_cluster.address,
        "--processes", "4", "--records", "100", "--duration", "60", "--warmup", "0",
        "--output", str(tmp_path),
        cwd=tmp_path,
    )  # fmt: skip
    run.wait_for("measure (", timeout=240)
    time.sleep(2.5)
    run.proc.send_signal(signal.SIGTERM)
    took = run.finish()
    assert run.proc.returncode == 143, run.stderr
    assert took < 10, f"SIGTERM on a cluster took {took:.1f} s"
    (path,) = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert load_manifest(path)["status"] == "interrupted"
    assert int(load(path).query("phase == 'measure'")["count"].sum()) > 0
    deadline = time.monotonic() + 15
    while _actors_and_placement_groups(ray_cluster) != (0, 0):
        assert time.monotonic() < deadline, "an actor or a placement group was left behind"
        time.sleep(1)
