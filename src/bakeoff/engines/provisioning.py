"""Choosing the provisioner for an engine: an existing server (a URL), an embedded
database, or a container. Container support is imported only when a container is needed."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bakeoff.engines.base import Provisioner, ProvisioningError
from bakeoff.engines.catalog import EngineSpec, Provision
from bakeoff.engines.cleanup import install_signal_cleanup
from bakeoff.engines.embedded import EmbeddedProvisioner
from bakeoff.engines.server import check_knobs


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


def check_engine_options(specs: Iterable[EngineSpec], options: EngineOptions) -> None:
    """Refuse what would only fail once an engine started (ValueError): invalid knobs."""
    for spec in specs:
        check_knobs(spec, options.knobs.get(spec.name, {}))


class ProvisionerFactory:
    """Makes a fresh provisioner per trial, as `EngineOptions` say."""

    def __init__(self, options: EngineOptions) -> None:
        self.options = options

    def __call__(self, spec: EngineSpec) -> Provisioner:
        options = self.options
        knobs = dict(options.knobs.get(spec.name, {}))
        if spec.name in options.urls:
            external: Any = _optional("bakeoff.engines.external", spec)
            provisioner: Provisioner = external.ExternalProvisioner(spec, options.urls[spec.name])
            return provisioner
        if spec.provision is Provision.EMBEDDED:
            return EmbeddedProvisioner(spec, knobs=knobs, keep=options.keep)
        container: Any = _optional("bakeoff.engines.container", spec)
        provisioner = container.ContainerProvisioner(
            spec,
            image=options.images.get(spec.name),
            knobs=knobs,
            cpus=options.cpus,
            memory=options.memory,
        )
        return provisioner


def _optional(module: str, spec: EngineSpec) -> Any:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        raise ProvisioningError(
            f"{spec.display_name} needs {exc.name}: pip install 'bakeoff[containers,{spec.extra}]'"
        ) from exc


def install_container_cleanup() -> None:
    """Remove every container this process started on SIGTERM/SIGINT and at exit."""
    install_signal_cleanup()
