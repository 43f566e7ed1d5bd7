"""Integration tests marked `docker` need a Docker engine.

Without one they are skipped, with the reason saying how to enable them, unless
BAKEOFF_REQUIRE_DOCKER=1 (CI sets it), in which case they run and fail loudly.
"""

from __future__ import annotations

import os

import pytest

from bakeoff.engines.images import DockerUnavailableError, docker_client


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
