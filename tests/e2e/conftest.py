"""Fixtures of the end-to-end tests that start container engines."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bakeoff.engines.images import build_images, docker_client
from tests.conftest import require_docker


@pytest.fixture(scope="session")
def engine_image() -> Callable[[str], str]:
    """The local image of an engine, built from its recipe when missing."""
    built: dict[str, str] = {}

    def image(engine: str) -> str:
        if engine not in built:
            require_docker()
            built[engine] = next(r.image for r in build_images([engine]) if r.engine == engine)
        return built[engine]

    return image


@pytest.fixture
def docker_api() -> Iterator[Any]:
    require_docker()
    client = docker_client()
    yield client
    client.close()
