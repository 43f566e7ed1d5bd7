"""Choosing the provisioner for an engine: an existing server (a URL), an embedded
database, or a container. Container support is imported only when a container is needed."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bakeoff.adapters.errors import pip_install
from bakeoff.engines.base import Provisioner, ProvisioningError
from bakeoff.engines.catalog import (
    EngineSpec,
    Provision,
    engine_spec,
    missing_drivers,
    module_installed,
)
from bakeoff.engines.cleanup import install_signal_cleanup
from bakeoff.engines.embedded import EmbeddedProvisioner
from bakeoff.engines.server import check_knobs, knob_names_source


@dataclass(frozen=True)
class EngineOptions:
    """How engines are provided for a run, per engine name where it varies."""

    urls: Mapping[str, str] = field(default_factory=dict)
    """Existing servers to benchmark instead of starting one (may hold credentials)."""
    images: Mapping[str, str] = field(default_factory=dict)
    knobs: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    cpus: float | None = None
    memory: str | None = None
    keep: bool = False
    """Keep embedded database files after the trial."""
    topologies: Mapping[str, str] = field(default_factory=dict)
    """A replicated topology per engine (`--topology ENGINE=NAME`): engines/topologies/."""
    read_from: str = "primary"
    """Where reads go in a topology: "primary", or "replica" (`--read-from`)."""

    def starts_container(self, spec: EngineSpec) -> bool:
        """bakeoff starts this engine in a container on this machine (not embedded, not an
        existing server given by URL)."""
        return spec.provision is Provision.CONTAINER and spec.name not in self.urls

    def knob_checks(self) -> dict[str, str]:
        """What each engine's knob names were checked against, for the manifest."""
        return {
            engine: knob_names_source(engine_spec(engine))
            for engine, knobs in self.knobs.items()
            if knobs
        }


CONTAINER_MODULES = ("docker", "testcontainers")
CONTAINER_EXTRA = "containers"


class MissingPiecesError(ValueError):
    """Python packages a run's engines need and this environment lacks: all of them, and
    the one pip line that installs them."""


def missing_pieces(
    specs: Iterable[EngineSpec], options: EngineOptions
) -> dict[str, tuple[str, list[str]]]:
    """Each module a run would fail on (a driver, the Docker SDK): its pip extra and the
    engines that need it."""
    missing: dict[str, tuple[str, list[str]]] = {}
    for spec in specs:
        modules = [(m, spec.extra) for m in missing_drivers(spec)]
        if options.starts_container(spec):
            modules += [(m, CONTAINER_EXTRA) for m in CONTAINER_MODULES if not module_installed(m)]
        for module, extra in modules:
            missing.setdefault(module, (extra, []))[1].append(spec.name)
    return missing


def check_engine_options(specs: Iterable[EngineSpec], options: EngineOptions) -> None:
    """Refuse what would only fail once an engine started (ValueError): a missing driver
    or Docker SDK (all that is missing at once), an unknown or invalid knob."""
    specs = list(specs)
    missing = missing_pieces(specs, options)
    if missing:
        engines = dict.fromkeys(e for _, needed_by in missing.values() for e in needed_by)
        raise MissingPiecesError(
            f"{' and '.join(engines)} need {', '.join(missing)}, not installed here: "
            f"{pip_install(extra for extra, _ in missing.values())}"
        )
    for spec in specs:
        check_knobs(spec, options.knobs.get(spec.name, {}))


class ProvisionerFactory:
    """Makes a fresh provisioner per trial, as `EngineOptions` say."""

    def __init__(self, options: EngineOptions) -> None:
        self.options = options

    def __call__(self, spec: EngineSpec, options: EngineOptions | None = None) -> Provisioner:
        """`options`: a trial's own (a swept CPU limit), else the run's."""
        options = options or self.options
        knobs = dict(options.knobs.get(spec.name, {}))
        if spec.name in options.urls:
            external: Any = _optional("bakeoff.engines.external", spec)
            provisioner: Provisioner = external.ExternalProvisioner(spec, options.urls[spec.name])
            return provisioner
        if spec.provision is Provision.EMBEDDED:
            return EmbeddedProvisioner(spec, knobs=knobs, keep=options.keep)
        if spec.name in options.topologies:
            return _topology_provisioner(spec, options, knobs)
        container: Any = _optional("bakeoff.engines.container", spec)
        provisioner = container.ContainerProvisioner(
            spec,
            image=options.images.get(spec.name),
            knobs=knobs,
            cpus=options.cpus,
            memory=options.memory,
        )
        return provisioner


def _topology_provisioner(
    spec: EngineSpec, options: EngineOptions, knobs: Mapping[str, str]
) -> Provisioner:
    topology: Any = _optional("bakeoff.engines.topology", spec)
    topologies: Any = _optional("bakeoff.engines.topologies", spec)
    provisioner: Provisioner = topology.TopologyProvisioner(
        spec,
        topologies.topology_recipe(spec.name, options.topologies[spec.name]),
        image=options.images.get(spec.name),
        knobs=knobs,
        cpus=options.cpus,
        memory=options.memory,
        read_from=options.read_from,
    )
    return provisioner


def _optional(module: str, spec: EngineSpec) -> Any:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        raise ProvisioningError(
            f"{spec.display_name} needs {exc.name}: {pip_install([CONTAINER_EXTRA, spec.extra])}"
        ) from exc


def install_container_cleanup() -> None:
    """Remove every container this process started on SIGTERM/SIGINT and at exit."""
    install_signal_cleanup()
