"""What the provisioners of servers (container, external) share: the one check of knob
names, made before any name reaches a server, and the read-back of its facts.

A knob name goes on a server's command line or into a query (MySQL's system variables
cannot be bound parameters), so only plain names pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from bakeoff.engines.base import ProvisioningError
from bakeoff.engines.catalog import EngineSpec
from bakeoff.engines.protocol import ServerFacts, ServerProtocol

_KNOB_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*\Z")
FACTS_TIMEOUT_S = 5.0


def validate_knob_names(names: Iterable[str]) -> None:
    for name in names:
        if not _KNOB_NAME.match(name):
            raise ValueError(
                f"invalid knob name {name!r}: letters, digits, '_', '.', '-' only, "
                "starting with a letter"
            )


def check_knobs(spec: EngineSpec, knobs: Mapping[str, str]) -> None:
    """Refuse invalid knob names, and values the server's protocol cannot pass on, before
    anything starts (ValueError): a bad knob is bad input, not a failed trial."""
    validate_knob_names(knobs)
    if spec.server is not None:
        server_knobs = {
            k: v for k, v in {**spec.knobs, **knobs}.items() if k not in spec.client_knobs
        }
        spec.server.knob_args(server_knobs)
        spec.server.knob_env(server_knobs)


def server_protocol(spec: EngineSpec) -> ServerProtocol:
    if spec.server is None:
        raise ProvisioningError(f"engine {spec.name!r} is not a server engine")
    return spec.server


def read_server_facts(
    spec: EngineSpec, url: str, names: Sequence[str], timeout_s: float = FACTS_TIMEOUT_S
) -> ServerFacts:
    """The server's own version string and the current value of each setting in `names`."""
    validate_knob_names(names)
    return server_protocol(spec).read_facts(url, names, timeout_s)
