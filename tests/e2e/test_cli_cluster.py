"""`bakeoff run --cluster`: the command line on a two-node Ray cluster on this machine."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.bakeoff_process import bakeoff
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
