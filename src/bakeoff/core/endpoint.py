"""Where an engine answers: what a provisioner hands to an adapter."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Endpoint:
    """Where an engine answers, as a provisioner hands it to an adapter.

    `url` may carry credentials: it is never written to logs, manifests or reports;
    `display_url` (credentials removed) is.
    """

    engine: str
    url: str
    display_url: str
    version: str = "unknown"
    settings: Mapping[str, str] = field(default_factory=dict)
    """Engine settings in effect (knobs, durability), recorded in the manifest."""
    provenance: Mapping[str, str] = field(default_factory=dict)
    """How the engine was provided: image and digest, limits, start-to-ready time, ..."""
    read_url: str | None = None
    """Where reads go when a run routes them to a replica (`--read-from replica`); None:
    to `url`. Carries credentials like `url`."""
