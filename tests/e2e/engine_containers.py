"""The containers a test's own run starts for an engine, told apart from the test
session's shared servers of the same engine, so a test pauses or kills only its own."""

from __future__ import annotations

from typing import Any

from bakeoff.engines.images import docker_client


def _label(engine: str) -> dict[str, str]:
    return {"label": f"org.bakeoff.engine={engine}"}


def existing(engine: str) -> set[str]:
    """The ids of every container of `engine` now, running or not (taken before the run)."""
    client = docker_client()
    try:
        return {str(c.id) for c in client.containers.list(all=True, filters=_label(engine))}
    finally:
        client.close()


def ours(client: Any, engine: str, others: set[str]) -> list[Any]:
    """The running containers of `engine` that are not in `others` (`existing`)."""
    return [c for c in client.containers.list(filters=_label(engine)) if c.id not in others]
