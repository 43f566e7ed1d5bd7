"""The engine catalog: every engine bakeoff knows, how it is provided and which adapter
speaks to it. Provisioners are built from these entries; nothing here starts anything.

Engines register like adapters: each entry point of the group ``bakeoff.engines`` loads
one `EngineSpec` (bakeoff's own are in `bakeoff.engines.builtin`), and `register()` adds
one in process. The catalog loads on first use; an engine name defined twice, or a spec
that could not be provisioned, is refused then, naming where each definition came from.
"""

from __future__ import annotations

import difflib
import importlib.util
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from importlib.metadata import EntryPoint

from bakeoff.adapters.errors import pip_install
from bakeoff.core.plugins import PluginError, PluginRegistry
from bakeoff.engines.base import ProvisioningError
from bakeoff.engines.protocol import EmbeddedDatabase, ServerProtocol

GROUP = "bakeoff.engines"


class Family(StrEnum):
    RELATIONAL = "relational"
    DOCUMENT = "document"
    KEY_VALUE = "key-value"
    WIDE_COLUMN = "wide-column"


class Provision(StrEnum):
    EMBEDDED = "embedded"
    CONTAINER = "container"


@dataclass(frozen=True)
class EngineSpec:
    name: str
    display_name: str
    family: Family
    adapter: str
    """Entry-point name in the ``bakeoff.adapters`` group."""
    provision: Provision
    driver_modules: tuple[str, ...]
    """Python modules the adapter needs for this engine (checked by `bakeoff engines`)."""
    extra: str
    """The pip extra that installs those modules."""
    url_scheme: str
    """SQLAlchemy dialect+driver (``sqlite+pysqlite``) or a URL scheme (``redis``)."""
    other_url_schemes: tuple[str, ...] = ()
    """Further schemes a `--url` may use for this engine (``rediss`` asks redis-py for TLS);
    SQLAlchemy URLs may name any driver of the dialect without being listed here."""
    # Container engines only:
    image: str | None = None
    """Default image (official, pinned); see `resolve_image` for the override order."""
    port: int | None = None
    """The server's port inside the container."""
    knobs: Mapping[str, str] = field(default_factory=dict)
    """Default engine settings, overridable per run."""
    tested_here: bool = True
    notes: str = ""
    # Server engines (container or external) only:
    server: ServerProtocol | None = None
    """The wire protocol: URL, knobs, readiness and read-back (engines/protocol.py)."""
    password_env: tuple[str, ...] = ()
    """Container env vars that receive the generated password. Several, because the
    official image and the project's own image do not always read the same name."""
    container_env: Mapping[str, str] = field(default_factory=dict)
    """Fixed container env: user and database names for the official images' init scripts."""
    reported_settings: tuple[str, ...] = ()
    """Settings read back from the server and recorded with every result, besides knobs."""
    ready_timeout_s: float = 60.0
    """How long a fresh container may take to answer its first round trip."""
    client_knobs: Mapping[str, str] = field(default_factory=dict)
    """Defaults of settings the adapter applies on its side (consistency levels,
    replication). Knobs like the others, overridable per run and recorded with every
    result, but they never reach the server's command line or environment."""
    known_settings: Callable[[], KnownSettings] | None = None
    """Reads the names of the settings the engine accepts, so that a misspelt knob is
    refused before a run starts; None: knob names are not checked (the manifest says so)."""
    # Embedded engines only:
    embedded: EmbeddedDatabase | None = None
    """The in-process database: its version and file suffix."""


@dataclass(frozen=True)
class KnownSettings:
    """The setting names an engine accepts, and where that list came from."""

    names: frozenset[str]
    """Lower case: the engines bakeoff checks take setting names in any case."""
    source: str
    """What was read, for messages and the manifest ("SQLite 3.40.1: PRAGMA pragma_list")."""
    dotted_names_open: bool = False
    """Any ``prefix.name`` is accepted too (PostgreSQL's settings of extensions)."""

    def accepts(self, name: str) -> bool:
        return name.lower() in self.names or (self.dotted_names_open and "." in name)

    def close_to(self, name: str) -> list[str]:
        """The names closest to `name`, one spelling each (MariaDB takes `a-b` as `a_b`)."""
        close = difflib.get_close_matches(name.lower(), sorted(self.names), n=6)
        spellings = {c.replace("-", "_"): c for c in reversed(close)}
        return list(dict.fromkeys(spellings[c.replace("-", "_")] for c in close))[:3]


# --- the registry ---------------------------------------------------------------------


class UnknownEngineError(LookupError):
    pass


class EngineRegistrationError(PluginError):
    """An engine cannot join the catalog: its name is taken, or its spec is incomplete."""


def spec_problem(spec: EngineSpec) -> str | None:
    """Why `spec` could not be provisioned, or None."""
    if spec.provision is Provision.CONTAINER and spec.server is None:
        return "a container engine needs a ServerProtocol (EngineSpec.server)"
    if spec.provision is Provision.CONTAINER and spec.port is None:
        return "a container engine needs the server's port (EngineSpec.port)"
    if spec.provision is Provision.EMBEDDED and spec.embedded is None:
        return "an embedded engine needs an EmbeddedDatabase (EngineSpec.embedded)"
    return None


def _accept(obj: object, name: str, source: str) -> EngineSpec:
    if not isinstance(obj, EngineSpec) or obj.name != name:
        raise EngineRegistrationError(
            f"engine {name!r} from {source} must load an EngineSpec named {name!r}, not {obj!r}"
        )
    problem = spec_problem(obj)
    if problem is not None:
        raise EngineRegistrationError(f"engine {name!r} from {source}: {problem}")
    return obj


class EngineCatalog(Mapping[str, EngineSpec]):
    """Engine specs by name, in name order; listing loads every entry point, so a broken
    one fails the catalog as it loads, not a run later."""

    def __init__(self, find: Callable[[], Iterable[EntryPoint]] | None = None) -> None:
        self._plugins = PluginRegistry(
            GROUP, "engine", _accept, error=EngineRegistrationError, find=find
        )

    def register(self, spec: EngineSpec, *, source: str) -> None:
        """Add an engine in process; `source` says who added it (for error messages)."""
        self._plugins.register(spec.name, spec, source=source)

    def source(self, name: str) -> str:
        """Where the engine `name` was defined."""
        self.spec(name)
        return self._plugins.source(name)

    def spec(self, name: str) -> EngineSpec:
        if name not in self._plugins:
            names = self._plugins.names()
            close = difflib.get_close_matches(name, names, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise UnknownEngineError(
                f"unknown engine {name!r} ({hint}known engines: {', '.join(names)})"
            )
        return self._plugins.get(name)

    def __getitem__(self, name: str) -> EngineSpec:
        if name not in self._plugins:
            raise KeyError(name)
        return self._plugins.get(name)

    def __iter__(self) -> Iterator[str]:
        names = self._plugins.names()
        for name in names:
            self._plugins.get(name)
        return iter(names)

    def __len__(self) -> int:
        return len(self._plugins.names())


CATALOG = EngineCatalog()
"""Every engine of the installed distributions and of `register()`."""


def register(spec: EngineSpec, *, source: str) -> None:
    """Add an engine to the catalog in process (say, from a test suite or a notebook)."""
    CATALOG.register(spec, source=source)


def engine_spec(name: str) -> EngineSpec:
    return CATALOG.spec(name)


# --- what an engine needs ---------------------------------------------------------------

GENERIC_SQL_ADAPTER = "sql"


def same_sql_dialect(spec: EngineSpec, scheme: str) -> bool:
    """Does a URL scheme name the engine's SQLAlchemy dialect (any driver of it)?"""
    return "+" in spec.url_scheme and scheme.partition("+")[0] == spec.url_scheme.partition("+")[0]


def spec_for_url(spec: EngineSpec, url: str | None) -> EngineSpec:
    """The engine as a `--url` reaches it.

    A URL naming another driver of the engine's SQL dialect (``postgresql+pg8000`` for
    ``postgresql+psycopg``) gets the generic SQL adapter: an engine's own adapter may
    use its catalog driver's API beyond PEP 249 (the postgres adapter uses libpq through
    psycopg).
    """
    if url is None or spec.adapter == GENERIC_SQL_ADAPTER:
        return spec
    scheme = url.partition("://")[0]
    if scheme == spec.url_scheme or "+" not in scheme or not same_sql_dialect(spec, scheme):
        return spec
    return replace(spec, adapter=GENERIC_SQL_ADAPTER)


def module_installed(name: str) -> bool:
    """Is `name` importable, without importing it? A folder of that name in the working
    directory (a checkout's docker/ recipes) is a namespace package, not the module."""
    found = importlib.util.find_spec(name)
    return found is not None and found.origin is not None


def missing_drivers(spec: EngineSpec) -> list[str]:
    return [m for m in spec.driver_modules if not module_installed(m)]


def check_drivers(spec: EngineSpec) -> None:
    missing = missing_drivers(spec)
    if missing:
        raise ProvisioningError(
            f"engine {spec.name!r} needs {', '.join(missing)}: {pip_install([spec.extra])}"
        )


IMAGE_ENV_PREFIX = "BAKEOFF_IMAGE_"


def image_env_var(engine: str) -> str:
    """`BAKEOFF_IMAGE_POSTGRES` for `postgres`; dashes become underscores."""
    return IMAGE_ENV_PREFIX + engine.upper().replace("-", "_")


class NoImageError(LookupError):
    pass


def resolve_image(spec: EngineSpec, override: str | None = None) -> str:
    """The container image to run for `spec`.

    Order: `override` (a run spec or CLI flag) > env `BAKEOFF_IMAGE_<ENGINE>` > the
    catalog's pinned official image. Where no registry is reachable (this project's
    machines and its CI), CI builds local images with `bakeoff images build` and sets
    BAKEOFF_IMAGE_* to them (`bakeoff images env` prints the exports), so the official
    defaults are only ever pulled by users who can reach a registry.
    """
    if override:
        return override
    from_env = os.environ.get(image_env_var(spec.name), "").strip()
    if from_env:
        return from_env
    if spec.image:
        return spec.image
    raise NoImageError(f"engine {spec.name!r} has no container image ({spec.provision} engine)")
