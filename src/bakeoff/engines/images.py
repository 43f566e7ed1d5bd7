"""Local engine images, built offline from the recipes in the checkout's `docker/` folder.

No container registry is reachable on the project's machines, so the official images in
the catalog cannot be pulled there. Instead a Debian bookworm base is made with
debootstrap and `docker import`, and each engine image is built FROM it with Debian's own
server packages (or with what the recipe's `prepare.sh` builds on the host first, for
toolchains Debian lacks: see `prepared_recipe`). Every image carries the sha256 of its
recipe (and, for engine images, of the base recipe) as the `org.bakeoff.recipe-hash`
label and in its tag, so an image is rebuilt exactly when its recipe changes. See
docker/README.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
import os
import shutil
import ssl
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bakeoff.engines.base import ProvisioningError
from bakeoff.engines.catalog import CATALOG

RECIPE_HASH_LABEL = "org.bakeoff.recipe-hash"
ENGINE_LABEL = "org.bakeoff.engine"
BASE = "base"
"""The pseudo-engine name of the Debian base every engine image is built FROM."""
BASE_REPOSITORY = "bakeoff/debian-bookworm"
TAG_HASH_LENGTH = 12
RECIPES_ENV = "BAKEOFF_RECIPES_DIR"
BUILD_CA_ENV = "BAKEOFF_BUILD_CA_FILE"
BUILD_CA_NAME = ".bakeoff-build-ca.pem"
"""The build host's CA bundle, added to every engine's build context under this name."""
_FAILED_OUTPUT_LINES = 80
PREPARE_SCRIPT = "prepare.sh"
PREPARED_DIR = "prepared"
"""Where a recipe's prepare.sh output lands in its build context."""


class DockerUnavailableError(ProvisioningError):
    """No Docker engine answers (or the docker SDK is not installed)."""


class NoRecipeError(LookupError):
    pass


class ImageBuildError(RuntimeError):
    """A build failed; the message carries the tail of the build output."""


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


# --- recipes (pure) -------------------------------------------------------------------


def _ignored(relative: Path) -> bool:
    # Documentation and editor/VCS droppings do not change what gets built; hashing them
    # would trigger 40-second rebuilds for a typo fix.
    return (
        any(part.startswith(".") or part == "__pycache__" for part in relative.parts)
        or relative.suffix.lower() == ".md"
    )


def recipe_files(folder: Path) -> list[Path]:
    """The files of a recipe that its hash covers, sorted by relative POSIX path."""
    found = [
        path
        for path in folder.rglob("*")
        if path.is_file() and not _ignored(path.relative_to(folder))
    ]
    return sorted(found, key=lambda path: path.relative_to(folder).as_posix())


def recipe_hash(folder: Path, parent: str | None = None) -> str:
    """sha256 over a recipe folder's files (names and contents), chained to `parent`.

    Engine recipes pass the base recipe's hash as `parent`, so changing the base rebuilds
    every engine image. File modes and timestamps are deliberately left out: the
    Dockerfiles set modes themselves, and a fresh checkout must hash the same.
    """
    files = recipe_files(folder)
    if not files:
        raise NoRecipeError(f"recipe folder {folder} has no files")
    digest = hashlib.sha256(b"bakeoff-recipe-v1\n")
    if parent is not None:
        digest.update(f"parent {parent}\n".encode())
    for path in files:
        data = path.read_bytes()
        # Length-prefixed, so no two different file sets can produce the same stream.
        digest.update(f"file {path.relative_to(folder).as_posix()} {len(data)}\n".encode())
        digest.update(data)
    return digest.hexdigest()


def image_tag(engine: str, hash_: str) -> str:
    repository = BASE_REPOSITORY if engine == BASE else f"bakeoff/{engine}"
    return f"{repository}:{hash_[:TAG_HASH_LENGTH]}"


def recipes_dir() -> Path:
    """The `docker/` folder holding the recipes.

    Looked for in $BAKEOFF_RECIPES_DIR, then in the source checkout this module runs
    from (an editable install), then in the current directory.
    """
    candidates: list[Path] = []
    if configured := os.environ.get(RECIPES_ENV):
        candidates.append(Path(configured))
    candidates.append(Path(__file__).resolve().parents[3] / "docker")
    candidates.append(Path.cwd() / "docker")
    for candidate in candidates:
        if (candidate / BASE / "build.sh").is_file():
            return candidate
    raise NoRecipeError(
        "image recipes not found: run from a bakeoff checkout, or set "
        f"{RECIPES_ENV} to its docker/ folder"
    )


def recipe_engines(recipes: Path) -> list[str]:
    """Engines with a recipe (a folder holding a Dockerfile), in name order."""
    return sorted(
        entry.name
        for entry in recipes.iterdir()
        if entry.is_dir() and entry.name != BASE and (entry / "Dockerfile").is_file()
    )


def recipe_hashes(recipes: Path) -> dict[str, str]:
    """Current hash of the base and of every engine recipe."""
    base = recipe_hash(recipes / BASE)
    hashes = {BASE: base}
    for engine in recipe_engines(recipes):
        hashes[engine] = recipe_hash(recipes / engine, parent=base)
    return hashes


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


def _tail(lines: Iterable[str], count: int = _FAILED_OUTPUT_LINES) -> str:
    kept = list(lines)[-count:]
    return "\n".join(line.rstrip("\n") for line in kept)


def _save_log(engine: str, lines: Sequence[str]) -> Path:
    handle, name = tempfile.mkstemp(prefix=f"bakeoff-build-{engine}-", suffix=".log")
    with os.fdopen(handle, "w", encoding="utf-8") as log:
        log.writelines(line if line.endswith("\n") else line + "\n" for line in lines)
    return Path(name)


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
        log = _save_log(BASE, lines)
        raise ImageBuildError(
            f"building {tag} failed (exit {completed.returncode}); full output in {log}; "
            f"last lines:\n{_tail(lines)}"
        )


def build_ca_bundle() -> bytes:
    """The CA certificates this host trusts, as PEM, for recipes that fetch over HTTPS.

    A network that inspects TLS re-signs every certificate with a CA only its hosts
    trust; a build stage that downloads from Maven Central or the Go module proxy must
    trust it too. Taken from $BAKEOFF_BUILD_CA_FILE, else $SSL_CERT_FILE, else OpenSSL's
    default bundle; empty when there is none. CA certificates are public, and recipes
    use them in a build stage only, never in the image they produce.
    """
    candidates = [os.environ.get(BUILD_CA_ENV, ""), os.environ.get("SSL_CERT_FILE", "")]
    defaults = ssl.get_default_verify_paths()
    candidates += [defaults.cafile or "", defaults.openssl_cafile]
    candidates.append("/etc/ssl/certs/ca-certificates.crt")
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate).read_bytes()
    return b""


def build_context(folder: Path) -> io.BytesIO:
    """A recipe folder as a tar build context, with the host's CA bundle added.

    The bundle is not part of the recipe hash: the same recipe must map to the same
    image tag on every host, whatever its network does to TLS.
    """
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder).as_posix()
            if relative != BUILD_CA_NAME:
                tar.add(path, arcname=relative, recursive=False)
        bundle = build_ca_bundle()
        info = tarfile.TarInfo(BUILD_CA_NAME)
        info.size = len(bundle)
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(bundle))
    buffer.seek(0)
    return buffer


@contextlib.contextmanager
def prepared_recipe(folder: Path) -> Iterator[Path]:
    """The folder to build an image from: `folder`, or a prepared copy of it.

    A recipe with a `prepare.sh` needs something made on the build host first, with a
    toolchain neither the base image nor any reachable registry has (FerretDB needs a
    newer Go than Debian's). The script runs as `sh prepare.sh OUTPUT_DIR` inside a
    temporary copy of the recipe, and its output becomes `prepared/` in the build context.
    The recipe hash covers the script and its inputs, never the output it produces.
    """
    if not (folder / PREPARE_SCRIPT).is_file():
        yield folder
        return
    with tempfile.TemporaryDirectory(prefix=f"bakeoff-{folder.name}-") as scratch:
        copy = Path(scratch) / folder.name
        shutil.copytree(folder, copy)
        # sh with the script's path relative to cwd: no shell ever sees a command string.
        completed = subprocess.run(  # noqa: S603
            ["/bin/sh", PREPARE_SCRIPT, str(copy / PREPARED_DIR)],
            cwd=copy,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            lines = completed.stdout.splitlines()
            log = _save_log(folder.name, lines)
            raise ImageBuildError(
                f"{folder.name}/{PREPARE_SCRIPT} failed (exit {completed.returncode}); full "
                f"output in {log}; last lines:\n{_tail(lines)}"
            )
        yield copy


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
        log = _save_log(engine, lines)
        raise ImageBuildError(
            f"building {tag} failed: {error}\nfull output in {log}; last lines:\n{_tail(lines)}"
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
