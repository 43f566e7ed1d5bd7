"""What differs between engines, as objects: one per wire protocol, one per embedded database.

A container engine's `EngineSpec.server` is a `ServerProtocol`: it builds the endpoint
URL, turns knobs into server arguments or container environment, makes the readiness
probe, and reads the version and settings back. The provisioners ask it and never look at
which protocol it is, so an engine of a new protocol needs no edit outside its own module.
Knob names are validated by the provisioners (`bakeoff.engines.knobs`) before they get here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    # EngineSpec holds these objects; only the signatures here name it.
    from bakeoff.engines.catalog import EngineSpec


class ReadinessProbe(Protocol):
    """A small wait strategy, as testcontainers attaches one to a container."""

    def attempt(self) -> None:
        """One round trip; raises while the server cannot answer yet."""

    def describe(self) -> str:
        """The round trip, for messages (`SELECT 1`, `PING`)."""


@dataclass(frozen=True)
class ServerFacts:
    """What a server says about itself: its own version string and settings in effect."""

    version: str
    settings: dict[str, str]


UNREADABLE = "(unreadable)"
"""The value recorded for a setting the server would not report."""

USER = "bakeoff"
DATABASE = "bakeoff"
"""The login and database the project's engine images create; protocols put them in URLs."""


class ServerProtocol(Protocol):
    """Everything a provisioner does that depends on the server rather than the image."""

    name: str
    """The protocol: "postgres", "mysql", "redis", "cql", "mongo"."""

    def server_url(self, spec: EngineSpec, host: str, port: int, password: str) -> str:
        """The URL an adapter connects with, credentials included."""

    def knob_args(self, knobs: Mapping[str, str]) -> list[str]:
        """Server command-line arguments setting `knobs`, in the server's own syntax."""

    def knob_env(self, knobs: Mapping[str, str]) -> dict[str, str]:
        """Container environment setting `knobs`, for servers that take knobs that way."""

    def readiness(self, url: str) -> ReadinessProbe:
        """The round trip that proves the server answers (and that the URL logs in)."""

    def read_facts(self, url: str, names: Sequence[str], timeout_s: float) -> ServerFacts:
        """The server's version string and the current value of each setting in `names`."""


class EmbeddedDatabase(Protocol):
    """An engine that runs inside the client process, on a fresh file per trial."""

    file_suffix: str
    """The database file's suffix (".sqlite3")."""

    def version(self) -> str:
        """The library's name and version ("SQLite 3.40.1"); raises ProvisioningError
        with the pip line when its driver is missing."""
