"""`bakeoff images …`: build and list the project's offline engine images."""

from __future__ import annotations

from typing import Annotated

import typer

from bakeoff.engines.catalog import image_env_var
from bakeoff.engines.images import (
    DockerUnavailableError,
    build_images,
    list_local_images,
    prune_images,
)
from bakeoff.engines.recipes import BASE, ImageBuildError, NoRecipeError

app = typer.Typer(
    name="images",
    help=(
        "Build and list local engine images (for machines without registry access; "
        "see docker/README.md)."
    ),
    no_args_is_help=True,
)


def _fail(error: Exception) -> typer.Exit:
    typer.echo(f"error: {error}", err=True)
    return typer.Exit(code=1)


@app.command("build")
def build(
    engines: Annotated[
        list[str] | None,
        typer.Argument(help="Engines to build (default: every recipe). 'base' is the base."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Rebuild without the layer cache even if current.")
    ] = False,
) -> None:
    """Build the base image and the engine images whose recipe changed."""
    try:
        results = build_images(engines or None, force=force, progress=typer.echo)
    except (DockerUnavailableError, ImageBuildError, NoRecipeError) as error:
        raise _fail(error) from error
    built = [r for r in results if r.built]
    total = sum(r.seconds for r in built)
    typer.echo(f"{len(built)} built, {len(results) - len(built)} up to date ({total:.1f} s)")


@app.command("list")
def list_images() -> None:
    """List local bakeoff images; '*' marks those built from the current recipes."""
    try:
        images = list_local_images()
    except DockerUnavailableError as error:
        raise _fail(error) from error
    if not images:
        typer.echo("no local bakeoff images: run `bakeoff images build`")
        return
    for image in images:
        mark = "*" if image.current else " "
        size = image.size_bytes / 1e6
        typer.echo(f"{mark} {image.engine:<10} {image.image:<40} {size:7.0f} MB  {image.created}")


@app.command("env")
def env() -> None:
    """Print `export BAKEOFF_IMAGE_<ENGINE>=…` for each current local image.

    For CI: `eval "$(bakeoff images env)"` makes runs use the local images.
    """
    try:
        images = list_local_images()
    except DockerUnavailableError as error:
        raise _fail(error) from error
    for image in images:
        if image.current and image.engine != BASE:
            typer.echo(f"export {image_env_var(image.engine)}={image.image}")


@app.command("prune")
def prune() -> None:
    """Remove local bakeoff images not built from the current recipes."""
    try:
        removed = prune_images(progress=typer.echo)
    except (DockerUnavailableError, NoRecipeError) as error:
        raise _fail(error) from error
    typer.echo(f"{len(removed)} stale image(s) removed")
