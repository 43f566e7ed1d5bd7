"""Named plugins from an entry-point group or registered in process: how bakeoff finds
its engines and adapters, and any a third-party distribution adds.

Entry points are indexed by name on first use and each is loaded when first asked for.
A name defined twice is refused, naming where each definition came from: taking either
silently would benchmark whichever the installation order put first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Generic, TypeVar

T = TypeVar("T")


class PluginError(ValueError):
    """A plugin cannot join its registry: its name is taken, or it is not what it claims."""


def entry_point_source(entry_point: EntryPoint) -> str:
    """Where an entry point comes from, for messages: distribution and target."""
    dist = entry_point.dist
    owner = f"distribution {dist.name} {dist.version}" if dist is not None else "unknown origin"
    return f"entry point {entry_point.name} = {entry_point.value} ({owner})"


@dataclass
class _Entry(Generic[T]):
    load: Callable[[], object]
    source: str
    loaded: T | None = None


class PluginRegistry(Generic[T]):
    """Plugins of one kind by name.

    `accept(obj, name, source)` turns what an entry point loaded (or what `register` was
    given) into a `T`, raising PluginError (or a subclass) when it is not a valid one.
    """

    def __init__(
        self,
        group: str,
        kind: str,
        accept: Callable[[object, str, str], T],
        *,
        error: type[PluginError] = PluginError,
        find: Callable[[], Iterable[EntryPoint]] | None = None,
    ) -> None:
        self.group = group
        self.kind = kind
        self._accept = accept
        self._error = error
        self._find = find or (lambda: entry_points(group=group))
        self._entries: dict[str, _Entry[T]] | None = None

    def register(self, name: str, plugin: object, *, source: str) -> None:
        """Add a plugin in process; `source` says who added it (for messages)."""
        entry: _Entry[T] = _Entry(lambda: plugin, source)
        entry.loaded = self._accept(plugin, name, source)
        self._add(self._indexed(), name, entry)

    def names(self) -> list[str]:
        return sorted(self._indexed())

    def __contains__(self, name: object) -> bool:
        return name in self._indexed()

    def get(self, name: str) -> T:
        """The plugin `name`, loaded on first use; KeyError when there is none."""
        entry = self._indexed()[name]
        if entry.loaded is None:
            try:
                obj = entry.load()
            except Exception as error:
                raise self._error(
                    f"{self.kind} {name!r} from {entry.source} does not load: {error}"
                ) from error
            entry.loaded = self._accept(obj, name, entry.source)
        return entry.loaded

    def source(self, name: str) -> str:
        return self._indexed()[name].source

    def _indexed(self) -> dict[str, _Entry[T]]:
        if self._entries is None:
            entries: dict[str, _Entry[T]] = {}
            for entry_point in self._find():
                entry: _Entry[T] = _Entry(entry_point.load, entry_point_source(entry_point))
                self._add(entries, entry_point.name, entry)
            self._entries = entries
        return self._entries

    def _add(self, entries: dict[str, _Entry[T]], name: str, entry: _Entry[T]) -> None:
        if name in entries:
            raise self._error(
                f"{self.kind} {name!r} is defined twice: by {entries[name].source} "
                f"and by {entry.source}"
            )
        entries[name] = entry
