"""What the provisioners of servers (container, external) share: the one check of knob
names, made before any name reaches a server, and the read-back of its facts.

A knob name goes on a server's command line or into a query (MySQL's system variables
cannot be bound parameters), so only plain names pass.
"""

from __future__ import annotations

import difflib
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


class UnknownKnobError(ValueError):
    """A knob the engine has no setting of: a typo would otherwise be recorded as a
    setting while the engine ran with its default."""


def knob_names_source(spec: EngineSpec) -> str:
    """What `check_knobs` checks the engine's knob names against, as the manifest says."""
    if spec.known_settings is None:
        return f"not checked (bakeoff has no list of {spec.display_name}'s settings)"
    return spec.known_settings().source


def check_knob_names(spec: EngineSpec, knobs: Iterable[str]) -> None:
    """Refuse a knob the engine would not know (UnknownKnobError), naming close matches.
    The catalog's own knobs and client knobs are the engine's or its adapter's settings."""
    given = [n for n in knobs if n not in spec.knobs and n not in spec.client_knobs]
    if not given or spec.known_settings is None:
        return
    known = spec.known_settings()
    for name in given:
        if known.accepts(name):
            continue
        close = [*known.close_to(name), *difflib.get_close_matches(name, spec.client_knobs)]
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        raise UnknownKnobError(
            f"knob {spec.name}.{name}: {spec.display_name} has no setting {name!r}{hint} "
            f"(checked against {known.source})"
        )


def check_knobs(spec: EngineSpec, knobs: Mapping[str, str]) -> None:
    """Refuse invalid or unknown knob names, and values the server's protocol cannot pass
    on, before anything starts (ValueError): a bad knob is bad input, not a failed trial."""
    validate_knob_names(knobs)
    check_knob_names(spec, knobs)
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
