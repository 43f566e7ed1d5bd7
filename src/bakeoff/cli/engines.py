"""`bakeoff engines`: every engine bakeoff knows and whether it can run here."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from bakeoff.adapters.errors import pip_install
from bakeoff.cli.common import stdout
from bakeoff.engines.catalog import CATALOG, EngineSpec, Provision, missing_drivers


def _docker_status() -> str | None:
    """None when a Docker engine answers, else why not (and what to do)."""
    from bakeoff.engines.images import DockerUnavailableError, docker_client

    try:
        docker_client().close()
    except DockerUnavailableError as exc:
        return str(exc)
    return None


def engine_availability(spec: EngineSpec) -> tuple[bool, str]:
    missing = missing_drivers(spec)
    if missing:
        return False, f"missing {', '.join(missing)}: {pip_install([spec.extra])}"
    if spec.provision is Provision.CONTAINER:
        docker_problem = _docker_status()
        if docker_problem:
            return False, docker_problem
    note = "" if spec.tested_here else "untested by bakeoff's CI"
    return True, note


def engines() -> None:
    """List every engine bakeoff knows and whether it can run on this machine."""
    table = Table()
    for column in ("engine", "family", "provided as", "adapter", "runs here", "notes"):
        table.add_column(column)
    for spec in CATALOG.values():
        ok, why = engine_availability(spec)
        notes = "; ".join(x for x in (why, spec.notes) if x)
        table.add_row(
            spec.name,
            spec.family.value,
            spec.provision.value + (f" ({spec.image})" if spec.image else ""),
            spec.adapter,
            "[green]yes[/green]" if ok else "[red]no[/red]",
            escape(notes),  # plain text: rich markup would eat "[postgres]"
        )
    stdout.print(table)
