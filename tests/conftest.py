"""Tests marked `docker` need a Docker engine.

Without one they are skipped, with the reason saying how to enable them, unless
BAKEOFF_REQUIRE_DOCKER=1 (CI sets it), in which case they run and fail loudly.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping

import pytest

from bakeoff.adapters.protocol import Endpoint
from bakeoff.engines.images import DockerUnavailableError, docker_client
from tests.ray_cluster import LocalRayCluster, local_ray_cluster


def _docker_missing() -> str | None:
    try:
        docker_client().close()
    except DockerUnavailableError as error:
        return str(error)
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    docker_items = [item for item in items if item.get_closest_marker("docker")]
    if not docker_items or os.environ.get("BAKEOFF_REQUIRE_DOCKER") == "1":
        return
    problem = _docker_missing()
    if problem is None:
        return
    skip = pytest.mark.skip(
        reason=f"{problem} (docker/README.md); BAKEOFF_REQUIRE_DOCKER=1 turns this skip "
        "into a failure"
    )
    for item in docker_items:
        item.add_marker(skip)


def require_docker() -> None:
    """Skip the calling test (or fixture) without Docker; fail instead in CI."""
    problem = _docker_missing()
    if problem is None:
        return
    if os.environ.get("BAKEOFF_REQUIRE_DOCKER") == "1":
        pytest.fail(problem)
    pytest.skip(f"{problem}; BAKEOFF_REQUIRE_DOCKER=1 turns this skip into a failure")


class ServerPool:
    """One container per engine for the whole session, started on first use.

    Tests that need a real server ask for an engine by name; the image is built from the
    project's recipe when missing (cached by recipe hash), and every container is removed
    when the session ends.
    """

    def __init__(self) -> None:
        self._provisioners: dict[str, object] = {}
        self._endpoints: dict[str, object] = {}

    def endpoint(self, engine: str, knobs: Mapping[str, str] | None = None) -> Endpoint:
        """The engine's shared server; one per distinct set of knobs."""
        key = engine + "".join(f" {k}={v}" for k, v in sorted((knobs or {}).items()))
        if key not in self._endpoints:
            require_docker()
            from bakeoff.engines.catalog import engine_spec
            from bakeoff.engines.container import ContainerProvisioner
            from bakeoff.engines.images import build_images

            image = next(r.image for r in build_images([engine]) if r.engine == engine)
            provisioner = ContainerProvisioner(engine_spec(engine), image=image, knobs=knobs)
            self._provisioners[key] = provisioner
            self._endpoints[key] = provisioner.start()
        endpoint = self._endpoints[key]
        assert isinstance(endpoint, Endpoint)
        return endpoint

    def container_ids(self) -> list[str]:
        ids = (getattr(p, "container_id", None) for p in self._provisioners.values())
        return [i for i in ids if i]

    def close(self) -> None:
        for provisioner in self._provisioners.values():
            provisioner.stop()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def servers() -> Iterator[ServerPool]:
    pool = ServerPool()
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRayCluster]:
    """A two-node Ray cluster on this machine (tests/ray_cluster.py), this process and the
    commands it starts its drivers; stopped, every process of it, when the session ends."""
    with local_ray_cluster(tmp_path_factory.mktemp("ray")) as running, running.driver_env():
        yield running
