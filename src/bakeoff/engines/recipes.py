"""Image recipes: the folders of the checkout's `docker/` directory, their hashes and tags,
and the build context made from each.

A recipe is a folder holding a Dockerfile (the base holds build.sh); a new engine's
folder is found by listing, with no code to edit. Every image carries the sha256 of its
recipe (and, for engine images, of the base recipe) as the `org.bakeoff.recipe-hash`
label and in its tag, so an image is rebuilt exactly when its recipe changes. A recipe
with a `prepare.sh` gets something built on the host first (`prepared_recipe`).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import ssl
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

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


class NoRecipeError(LookupError):
    pass


class ImageBuildError(RuntimeError):
    """A build failed; the message carries the tail of the build output."""


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


def output_tail(lines: Iterable[str], count: int = _FAILED_OUTPUT_LINES) -> str:
    kept = list(lines)[-count:]
    return "\n".join(line.rstrip("\n") for line in kept)


def save_build_log(engine: str, lines: Sequence[str]) -> Path:
    handle, name = tempfile.mkstemp(prefix=f"bakeoff-build-{engine}-", suffix=".log")
    with os.fdopen(handle, "w", encoding="utf-8") as log:
        log.writelines(line if line.endswith("\n") else line + "\n" for line in lines)
    return Path(name)


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
            log = save_build_log(folder.name, lines)
            raise ImageBuildError(
                f"{folder.name}/{PREPARE_SCRIPT} failed (exit {completed.returncode}); full "
                f"output in {log}; last lines:\n{output_tail(lines)}"
            )
        yield copy
