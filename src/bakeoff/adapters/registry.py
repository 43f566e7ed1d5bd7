"""Adapters are found through the entry-point group ``bakeoff.adapters``, or added in
process with `register_adapter()`.

Loading an entry point imports only the adapter module; the adapter imports its driver
in ``connect``, so a missing optional driver fails only the engines that need it. Two
adapters of one name are refused, naming where each came from: taking either silently
would benchmark whichever the installation order put first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import cast

from bakeoff.adapters.protocol import Adapter, Capability

GROUP = "bakeoff.adapters"


class UnknownAdapterError(LookupError):
    pass


class AdapterRegistrationError(ValueError):
    """Two adapters claim one name."""


class CapabilityError(ValueError):
    """A workload needs something the adapter does not declare."""


@dataclass(frozen=True)
class _Entry:
    load: Callable[[], object]
    source: str


def entry_point_source(entry_point: EntryPoint) -> str:
    """Where an entry point comes from, for messages: distribution and target."""
    dist = entry_point.dist
    owner = f"distribution {dist.name} {dist.version}" if dist is not None else "unknown origin"
    return f"entry point {entry_point.name} = {entry_point.value} ({owner})"


class AdapterRegistry:
    """Adapter classes by name; entry points are indexed on first use, loaded when asked."""

    def __init__(
        self, find: Callable[[], Iterable[EntryPoint]] = lambda: entry_points(group=GROUP)
    ) -> None:
        self._find = find
        self._entries: dict[str, _Entry] | None = None

    def register(self, adapter: type[Adapter], *, source: str) -> None:
        """Add an adapter class under its `name`; `source` says who added it."""
        self._add(self._indexed(), adapter.name, _Entry(lambda: adapter, source))

    def names(self) -> list[str]:
        return sorted(self._indexed())

    def adapter_class(self, name: str) -> type[Adapter]:
        entries = self._indexed()
        if name not in entries:
            known = ", ".join(sorted(entries)) or "none"
            raise UnknownAdapterError(
                f"no adapter named {name!r} in entry-point group {GROUP!r} (installed: {known})"
            )
        return cast("type[Adapter]", entries[name].load())

    def _indexed(self) -> dict[str, _Entry]:
        if self._entries is None:
            entries: dict[str, _Entry] = {}
            for entry_point in self._find():
                entry = _Entry(entry_point.load, entry_point_source(entry_point))
                self._add(entries, entry_point.name, entry)
            self._entries = entries
        return self._entries

    @staticmethod
    def _add(entries: dict[str, _Entry], name: str, entry: _Entry) -> None:
        if name in entries:
            raise AdapterRegistrationError(
                f"adapter {name!r} is defined twice: by {entries[name].source} "
                f"and by {entry.source}"
            )
        entries[name] = entry


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
