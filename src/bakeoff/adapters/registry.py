"""Adapters are found through the entry-point group ``bakeoff.adapters``, or added in
process with `register_adapter()`.

Loading an entry point imports only the adapter module; the adapter imports its driver
in ``connect``, so a missing optional driver fails only the engines that need it. Two
adapters of one name are refused, naming where each came from (`bakeoff.core.plugins`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import EntryPoint
from typing import cast

from bakeoff.adapters.protocol import Adapter, Capability
from bakeoff.core.plugins import PluginError, PluginRegistry

GROUP = "bakeoff.adapters"


class UnknownAdapterError(LookupError):
    pass


class AdapterRegistrationError(PluginError):
    """Two adapters claim one name, or an entry point does not load an adapter."""


class CapabilityError(ValueError):
    """A workload needs something the adapter does not declare."""


def _accept(obj: object, name: str, source: str) -> type[Adapter]:
    if not isinstance(obj, type) or getattr(obj, "name", None) != name:
        raise AdapterRegistrationError(
            f"adapter {name!r} from {source} must load an adapter class named {name!r}, not {obj!r}"
        )
    return cast("type[Adapter]", obj)


class AdapterRegistry:
    """Adapter classes by name; entry points are indexed on first use, loaded when asked."""

    def __init__(self, find: Callable[[], Iterable[EntryPoint]] | None = None) -> None:
        self._plugins = PluginRegistry(
            GROUP, "adapter", _accept, error=AdapterRegistrationError, find=find
        )

    def register(self, adapter: type[Adapter], *, source: str) -> None:
        """Add an adapter class under its `name`; `source` says who added it."""
        self._plugins.register(adapter.name, adapter, source=source)

    def names(self) -> list[str]:
        return self._plugins.names()

    def adapter_class(self, name: str) -> type[Adapter]:
        if name not in self._plugins:
            known = ", ".join(self._plugins.names()) or "none"
            raise UnknownAdapterError(
                f"no adapter named {name!r} in entry-point group {GROUP!r} (installed: {known})"
            )
        return self._plugins.get(name)


ADAPTERS = AdapterRegistry()
"""Every adapter of the installed distributions and of `register_adapter()`."""


def register_adapter(adapter: type[Adapter], *, source: str) -> None:
    """Add an adapter in process (say, from a test suite or a notebook)."""
    ADAPTERS.register(adapter, source=source)


def available_adapters() -> list[str]:
    return ADAPTERS.names()


def adapter_class(name: str) -> type[Adapter]:
    return ADAPTERS.adapter_class(name)


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
