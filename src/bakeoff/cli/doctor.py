"""`bakeoff doctor`: is this machine ready to measure? One line per check, before a run.

Each check reads what it can without starting anything: whether Docker answers, whether
dockerd copies published ports through its userland proxy, whether engine images are
built, which extras are installed, the CPU frequency governor and the background load.
A check that cannot read its source on this machine says so and is skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from bakeoff.adapters.errors import pip_install
from bakeoff.cli.common import EXIT_FAILED, fail, stdout
from bakeoff.engines.catalog import (
    CATALOG,
    EngineSpec,
    Provision,
    UnknownEngineError,
    engine_spec,
    image_env_var,
    missing_drivers,
    module_installed,
    resolve_image,
)
from bakeoff.engines.forwarding import dockerd_userland_proxy
from bakeoff.engines.images import docker_client, local_image
from bakeoff.engines.provisioning import CONTAINER_EXTRA, CONTAINER_MODULES
from bakeoff.harness.clients import usable_cores

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"
_STYLES = {OK: "green", WARN: "yellow", FAIL: "red", SKIP: "dim"}
PROXY_ADVICE = "start dockerd with --userland-proxy=false (docs/load-generator.md)"


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    detail: str


def userland_proxy_check() -> Check:
    on, source = dockerd_userland_proxy()
    if on is None:
        return Check("userland proxy", SKIP, source)
    if on:
        return Check(
            "userland proxy",
            WARN,
            f"on ({source}): container engines are reached through docker-proxy, a "
            f"userland copy that costs throughput; {PROXY_ADVICE}",
        )
    return Check("userland proxy", OK, f"off ({source}): the kernel forwards published ports")


def _docker(needed: bool) -> tuple[Check, Any]:
    try:
        client = docker_client()
        version = client.version().get("Version", "?")
    except Exception as exc:  # unreachable, refused, no SDK: each a reason to show
        status = FAIL if needed else WARN
        return Check("docker", status, f"{exc}; container engines cannot run"), None
    return Check("docker", OK, f"Docker {version} answers"), client


def _image(spec: EngineSpec, client: Any) -> Check:
    name = f"image {spec.name}"
    image = resolve_image(spec)
    if _image_here(client, image):
        return Check(name, OK, f"{image} is here")
    built = local_image(spec.name)
    if built is not None:
        return Check(
            name,
            WARN,
            f"{built} is built but {image_env_var(spec.name)} is not set: "
            'eval "$(bakeoff images env)"',
        )
    return Check(
        name,
        WARN,
        f"{image} is not here: a run pulls it from its registry (where the engine has "
        "a recipe, `bakeoff images build` builds it offline)",
    )


def _image_here(client: Any, image: str) -> bool:
    try:
        client.images.get(image)
    except Exception:  # not found, or the daemon would not say: either way, not usable
        return False
    return True


def _missing(spec: EngineSpec) -> list[str]:
    missing = missing_drivers(spec)
    if spec.provision is Provision.CONTAINER:
        missing += [m for m in CONTAINER_MODULES if m not in missing and _absent(m)]
    return missing


def extras_check(specs: Sequence[EngineSpec], needed: bool) -> Check:
    """One line for all engines: the modules missing, and the one pip line for them."""
    missing: dict[str, list[str]] = {}
    extras: list[str] = []
    for spec in specs:
        modules = _missing(spec)
        if modules:
            missing[spec.name] = modules
            extras += [spec.extra] if missing_drivers(spec) else []
            extras += [CONTAINER_EXTRA] if set(modules) & set(CONTAINER_MODULES) else []
    if not missing:
        return Check("extras", OK, f"installed for {', '.join(s.name for s in specs)}")
    which = "; ".join(f"{name} needs {', '.join(m)}" for name, m in missing.items())
    return Check("extras", FAIL if needed else WARN, f"{which}: {pip_install(extras)}")


def _absent(module: str) -> bool:
    return not module_installed(module)


def governor_check(cpufreq: Path = Path("/sys/devices/system/cpu")) -> Check:
    governors = set()
    for path in sorted(cpufreq.glob("cpu[0-9]*/cpufreq/scaling_governor")):
        try:
            governors.add(path.read_text(encoding="utf-8").strip())
        except OSError:
            continue
    if not governors:
        return Check("cpu governor", SKIP, "not readable here (no cpufreq: a VM or container?)")
    if governors == {"performance"}:
        return Check("cpu governor", OK, "performance")
    return Check(
        "cpu governor",
        WARN,
        f"{', '.join(sorted(governors))}: clock speed follows load, so numbers drift; "
        "set performance (cpupower frequency-set -g performance)",
    )


def load_check(loadavg: Path = Path("/proc/loadavg"), cores: int | None = None) -> Check:
    try:
        one_minute = float(loadavg.read_text(encoding="utf-8").split()[0])
    except (OSError, ValueError, IndexError):
        return Check("background load", SKIP, f"{loadavg} not readable here")
    cores = cores or usable_cores()
    detail = f"load average {one_minute:.2f} on {cores} usable core(s)"
    # Above a quarter of the cores something else competes with the engine and client.
    if one_minute > 0.25 * cores:
        return Check("background load", WARN, f"{detail}: other work competes with the run")
    return Check("background load", OK, detail)


def machine_checks(engines: Sequence[str]) -> Iterator[Check]:
    """Every check for a run of `engines` (all engines bakeoff knows when empty)."""
    chosen = engines or list(CATALOG)
    specs = [engine_spec(name) for name in chosen]
    yield extras_check(specs, needed=bool(engines))
    containers = [s for s in specs if s.provision is Provision.CONTAINER]
    if containers:
        check, client = _docker(needed=bool(engines))
        yield check
        yield userland_proxy_check()
        if client is not None:
            try:
                for spec in containers:
                    yield _image(spec, client)
            finally:
                client.close()
    yield governor_check()
    yield load_check()


def doctor(
    engine: Annotated[
        list[str] | None,
        typer.Option(
            "--engine",
            "-e",
            metavar="ENGINE",
            help="Check for a run of these engines (repeat); missing pieces then fail. "
            "Default: every engine, missing pieces only warn.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Check this machine before a run: Docker, its proxy, images, extras, CPU.

    One line per check: ok, warn, fail, or skip where its source is not readable here.
    Checks that Docker answers, whether dockerd's userland proxy would sit between the
    client and container engines, that engine images are built, which extras are
    installed, the CPU frequency governor and the background load (where readable).

    \b
    Exit codes: 0 nothing failed (warnings allowed), 1 a check failed,
    2 an unknown engine.
    """
    try:
        checks = list(machine_checks(list(dict.fromkeys(engine or []))))
    except UnknownEngineError as exc:
        raise fail(str(exc)) from None
    print_checks(checks, stdout.print)
    if any(c.status == FAIL for c in checks):
        raise typer.Exit(EXIT_FAILED)


def print_checks(checks: Sequence[Check], say: Callable[..., None]) -> None:
    width = max(len(c.name) for c in checks)
    for check in checks:
        style = _STYLES[check.status]
        say(
            f"[{style}]{check.status:<4}[/{style}]  {check.name:<{width}}  ",
            end="",
            highlight=False,
        )
        say(check.detail, markup=False, highlight=False)
