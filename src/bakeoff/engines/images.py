"""Local engine images, built offline from the recipes in the checkout's `docker/` folder.

No container registry is reachable on the project's machines, so the official images in
the catalog cannot be pulled there. Instead a Debian bookworm base is made with
debootstrap and `docker import`, and each engine image is built FROM it with Debian's own
server packages (or with what the recipe's `prepare.sh` builds on the host first, for
toolchains Debian lacks). Recipes, their hashes and build contexts are in
engines/recipes.py. See docker/README.md.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bakeoff.engines.base import ProvisioningError
from bakeoff.engines.catalog import CATALOG
from bakeoff.engines.recipes import (
    BASE,
    ENGINE_LABEL,
    RECIPE_HASH_LABEL,
    ImageBuildError,
    NoRecipeError,
    build_context,
    image_tag,
    output_tail,
    prepared_recipe,
    recipe_engines,
    recipe_hashes,
    recipes_dir,
    save_build_log,
)


class DockerUnavailableError(ProvisioningError):
    """No Docker engine answers (or the docker SDK is not installed)."""


@dataclass(frozen=True)
class BuildResult:
    engine: str
    """An engine name, or "base" for the Debian base image."""
    image: str
    built: bool
    """False when an image of the same recipe already existed."""
    seconds: float


@dataclass(frozen=True)
class LocalImage:
    engine: str
    image: str
    recipe_hash: str
    current: bool
    """Built from the recipe as it is now in the checkout, and still tagged."""
    image_id: str
    created: str
    size_bytes: int


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- docker ---------------------------------------------------------------------------


def docker_address() -> str:
    host = os.environ.get("DOCKER_HOST", "")
    return host.removeprefix("unix://") if host else "/var/run/docker.sock"


def docker_sdk() -> Any:
    """The docker SDK module (with `docker.errors` loaded).

    Imported by name: a checkout's top-level docker/ recipe folder is a namespace package
    in the working directory, which type checkers (and, without the SDK, Python itself)
    would take for the SDK.
    """
    try:
        docker = importlib.import_module("docker")
        importlib.import_module("docker.errors")
    except ImportError:
        docker = None
    if docker is None or not hasattr(docker, "from_env"):
        raise DockerUnavailableError(
            "the docker SDK is not installed: pip install 'bakeoff[containers]'"
        )
    return docker


def docker_client() -> Any:
    """A connected docker SDK client, or DockerUnavailableError saying what to do."""
    docker = docker_sdk()
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        raise DockerUnavailableError(
            f"Docker is not reachable at {docker_address()}: install docker.io and start "
            "dockerd, see README"
        ) from exc
    return client


def _labelled_images(client: Any, engine: str, hash_: str | None = None) -> list[Any]:
    labels = [f"{ENGINE_LABEL}={engine}"]
    if hash_ is not None:
        labels.append(f"{RECIPE_HASH_LABEL}={hash_}")
    return list(client.images.list(filters={"label": labels}))


def _existing(client: Any, engine: str, hash_: str) -> bool:
    """Whether an image of this recipe exists; re-tags it if only the tag was lost."""
    images = _labelled_images(client, engine, hash_)
    if not images:
        return False
    tag = image_tag(engine, hash_)
    if any(tag in image.tags for image in images):
        return True
    # Every image built FROM this one inherits its labels, and the unnamed stages of a
    # multi-stage build keep them (the build's own labels go to the last stage only):
    # re-tagging any match once moved the base's tag onto a Cassandra build stage. The
    # original is the one the others were built on, so it has the fewest layers.
    original = min(images, key=lambda image: len(image.attrs.get("RootFS", {}).get("Layers", [])))
    repository, _, version = tag.partition(":")
    original.tag(repository, version)
    return True


def _build_base(recipes: Path, tag: str, hash_: str) -> None:
    if shutil.which("debootstrap") is None:
        raise ImageBuildError(
            "building the base image needs debootstrap: apt-get install -y debootstrap"
        )
    if os.geteuid() != 0:
        raise ImageBuildError("building the base image runs debootstrap, which needs root")
    # sh with an absolute path to the script: no shell ever sees a command string.
    completed = subprocess.run(  # noqa: S603
        ["/bin/sh", str(recipes / BASE / "build.sh"), tag, hash_],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        lines = completed.stdout.splitlines()
        log = save_build_log(BASE, lines)
        raise ImageBuildError(
            f"building {tag} failed (exit {completed.returncode}); full output in {log}; "
            f"last lines:\n{output_tail(lines)}"
        )


def _build_engine(
    client: Any, recipes: Path, engine: str, tag: str, hash_: str, base_tag: str, *, fresh: bool
) -> None:
    lines: list[str] = []
    error: str | None = None
    with prepared_recipe(recipes / engine) as folder:
        context = build_context(folder)
    stream = client.api.build(
        fileobj=context,
        custom_context=True,
        tag=tag,
        buildargs={"BASE": base_tag},
        labels={RECIPE_HASH_LABEL: hash_, ENGINE_LABEL: engine},
        rm=True,
        forcerm=True,
        # The base exists only locally; asking a registry for it would fail here.
        pull=False,
        nocache=fresh,
        decode=True,
    )
    for chunk in stream:
        if "stream" in chunk:
            lines.extend(str(chunk["stream"]).splitlines())
        if "error" in chunk:
            error = str(chunk["error"]).strip()
            lines.append(error)
    if error is not None:
        log = save_build_log(engine, lines)
        raise ImageBuildError(
            f"building {tag} failed: {error}\nfull output in {log}; "
            f"last lines:\n{output_tail(lines)}"
        )


def build_images(
    engines: Sequence[str] | None = None,
    *,
    force: bool = False,
    progress: Callable[[str], None] = _to_stderr,
    recipes: Path | None = None,
) -> list[BuildResult]:
    """Build the missing local images of `engines` (all recipes when None).

    The base is built first when missing. An image whose recipe hash already exists is
    skipped unless `force`; `force` with `engines=None` rebuilds the base as well, with
    a list it rebuilds only the engines named (include "base" to rebuild the base too).
    The first result is always the base's.
    """
    recipes = recipes if recipes is not None else recipes_dir()
    available = recipe_engines(recipes)
    wanted = list(available) if engines is None else [e for e in engines if e != BASE]
    for engine in wanted:
        if engine not in available:
            raise NoRecipeError(_no_recipe_message(engine, available))
    force_base = force and (engines is None or BASE in engines)

    client = docker_client()
    hashes = recipe_hashes(recipes)
    results: list[BuildResult] = []

    base_hash = hashes[BASE]
    base_tag = image_tag(BASE, base_hash)
    results.append(
        _timed(
            BASE,
            base_tag,
            progress,
            skip=not force_base and _existing(client, BASE, base_hash),
            build=lambda: _build_base(recipes, base_tag, base_hash),
        )
    )
    for engine in dict.fromkeys(wanted):
        hash_ = hashes[engine]
        tag = image_tag(engine, hash_)

        def build(engine: str = engine, tag: str = tag, hash_: str = hash_) -> None:
            _build_engine(client, recipes, engine, tag, hash_, base_tag, fresh=force)

        results.append(
            _timed(
                engine,
                tag,
                progress,
                skip=not force and _existing(client, engine, hash_),
                build=build,
            )
        )
    return results


def _timed(
    engine: str, tag: str, progress: Callable[[str], None], *, skip: bool, build: Callable[[], None]
) -> BuildResult:
    if skip:
        progress(f"{tag}: up to date")
        return BuildResult(engine, tag, built=False, seconds=0.0)
    progress(f"{tag}: building")
    started = time.monotonic()
    build()
    seconds = time.monotonic() - started
    progress(f"{tag}: built in {seconds:.1f} s")
    return BuildResult(engine, tag, built=True, seconds=seconds)


def _no_recipe_message(engine: str, available: Sequence[str]) -> str:
    spec = CATALOG.get(engine)
    known = ", ".join(available)
    if spec is not None and spec.image:
        return (
            f"engine {engine!r} has no local recipe (recipes: {known}); it runs only from "
            f"its official image {spec.image}, which needs registry access"
        )
    return f"no image recipe for {engine!r} (recipes: {known})"


def local_image(engine: str) -> str | None:
    """The tag of a local image of `engine`, or None.

    From a checkout, only an image of the current recipe counts (a stale one would
    silently test an old recipe); without recipes, the newest image built for the engine.
    """
    client = docker_client()
    try:
        recipes: Path | None = recipes_dir()
    except NoRecipeError:
        recipes = None
    if recipes is not None:
        if engine not in recipe_engines(recipes):
            return None
        hash_ = recipe_hashes(recipes)[engine]
        return image_tag(engine, hash_) if _existing(client, engine, hash_) else None
    images = sorted(
        _labelled_images(client, engine), key=lambda image: str(image.attrs.get("Created", ""))
    )
    for image in reversed(images):
        if image.tags:
            return str(image.tags[0])
    return None


def list_local_images() -> list[LocalImage]:
    """Every image built by `build_images` on this Docker engine, base included."""
    client = docker_client()
    try:
        current = recipe_hashes(recipes_dir())
    except NoRecipeError:
        current = {}
    found: list[LocalImage] = []
    for image in client.images.list(filters={"label": RECIPE_HASH_LABEL}):
        labels = image.labels or {}
        engine = str(labels.get(ENGINE_LABEL, "?"))
        hash_ = str(labels.get(RECIPE_HASH_LABEL, ""))
        tags = [str(tag) for tag in image.tags] or ["<untagged>"]
        found.append(
            LocalImage(
                engine=engine,
                image=tags[0],
                recipe_hash=hash_,
                # An untagged image of a current recipe was superseded by a --force build.
                current=current.get(engine) == hash_ and bool(image.tags),
                image_id=str(image.id),
                created=str(image.attrs.get("Created", "")),
                size_bytes=int(image.attrs.get("Size", 0)),
            )
        )
    return sorted(found, key=lambda item: (item.engine, item.created))


def prune_images(progress: Callable[[str], None] = _to_stderr) -> list[str]:
    """Remove local bakeoff images not built from the current recipes; the tags removed.

    Every recipe change leaves a full set of superseded images behind (several hundred
    MB each); CI machines keep /var/lib/docker between runs, so they would pile up.
    """
    client = docker_client()
    stale = [image for image in list_local_images() if not image.current]
    # Engine images first: the base they were built FROM is their parent.
    stale.sort(key=lambda image: image.engine == BASE)
    removed: list[str] = []
    for image in stale:
        target = image.image if image.image != "<untagged>" else image.image_id
        client.images.remove(target)
        progress(f"removed {target}")
        removed.append(target)
    return removed
