"""Adapters are found through the entry-point group ``bakeoff.adapters``.

Loading an entry point imports only the adapter module; the adapter imports its driver
in ``connect``, so a missing optional driver fails only the engines that need it.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import cast

from bakeoff.adapters.protocol import Adapter, Capability

GROUP = "bakeoff.adapters"


class UnknownAdapterError(LookupError):
    pass


class CapabilityError(ValueError):
    """A workload needs something the adapter does not declare."""


def available_adapters() -> list[str]:
    return sorted(ep.name for ep in entry_points(group=GROUP))


def adapter_class(name: str) -> type[Adapter]:
    matches = [ep for ep in entry_points(group=GROUP) if ep.name == name]
    if not matches:
        known = ", ".join(available_adapters()) or "none"
        raise UnknownAdapterError(
            f"no adapter named {name!r} in entry-point group {GROUP!r} (installed: {known})"
        )
    return cast("type[Adapter]", matches[0].load())


def check_capabilities(
    adapter: type[Adapter], needed: frozenset[Capability], *, workload: str, engine: str
) -> None:
    missing = needed - adapter.capabilities
    if missing:
        names = ", ".join(sorted(c.value for c in missing))
        # An adapter may say why it lacks a capability (an optional class attribute, so
        # adapters written before it need no change).
        notes: Mapping[Capability, str] = getattr(adapter, "capability_notes", {})
        reasons = [notes[c] for c in sorted(missing) if c in notes]
        raise CapabilityError(
            f"workload {workload!r} needs {names}, which adapter {adapter.name!r} "
            f"for engine {engine!r} does not support"
            + (f" ({'; '.join(reasons)})" if reasons else "")
        )
