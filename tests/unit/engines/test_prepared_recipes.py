"""Recipes with a prepare.sh, and finding an image again by its labels: no Docker."""

from __future__ import annotations

import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bakeoff.engines.images import _existing
from bakeoff.engines.recipes import (
    ENGINE_LABEL,
    PREPARED_DIR,
    RECIPE_HASH_LABEL,
    ImageBuildError,
    build_context,
    image_tag,
    prepared_recipe,
    recipe_hash,
)


def _recipe(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


def test_a_recipe_without_prepare_is_built_as_it_is(tmp_path: Path) -> None:
    folder = _recipe(tmp_path / "plain", {"Dockerfile": "FROM x\n"})
    with prepared_recipe(folder) as built:
        assert built == folder


def test_prepare_output_lands_in_the_context_but_not_in_the_recipe(tmp_path: Path) -> None:
    folder = _recipe(
        tmp_path / "engine",
        {
            "Dockerfile": "FROM x\nCOPY prepared/tool /tool\n",
            "input.txt": "source",
            # Runs in a copy of the recipe, with the output folder as its argument.
            "prepare.sh": 'mkdir -p "$1"; cat input.txt > "$1/tool"; pwd > "$1/where"\n',
        },
    )
    before = recipe_hash(folder)
    with prepared_recipe(folder) as built:
        assert built != folder
        assert (built / PREPARED_DIR / "tool").read_text() == "source"
        assert Path((built / PREPARED_DIR / "where").read_text().strip()) == built
        with tarfile.open(fileobj=build_context(built)) as tar:
            names = tar.getnames()
    assert f"{PREPARED_DIR}/tool" in names and "Dockerfile" in names
    assert not built.exists()  # the scratch copy is gone after the build
    assert not (folder / PREPARED_DIR).exists()
    assert recipe_hash(folder) == before


def test_a_failing_prepare_says_why(tmp_path: Path) -> None:
    folder = _recipe(
        tmp_path / "broken",
        {"Dockerfile": "FROM x\n", "prepare.sh": "echo 'no compiler here' >&2; exit 3\n"},
    )
    with (
        pytest.raises(ImageBuildError, match=r"(?s)exit 3.*no compiler here"),
        prepared_recipe(folder),
    ):
        pass


@dataclass
class FakeImage:
    layers: int
    tags: list[str] = field(default_factory=list)

    @property
    def attrs(self) -> dict[str, Any]:
        return {"RootFS": {"Layers": [f"sha256:{i}" for i in range(self.layers)]}}

    def tag(self, repository: str, version: str) -> None:
        self.tags.append(f"{repository}:{version}")


class FakeImages:
    def __init__(self, images: list[FakeImage]) -> None:
        self._images = images

    def list(self, filters: dict[str, Any]) -> list[FakeImage]:
        assert f"{ENGINE_LABEL}=base" in filters["label"]
        assert any(label.startswith(RECIPE_HASH_LABEL) for label in filters["label"])
        return list(self._images)


class FakeClient:
    def __init__(self, images: list[FakeImage]) -> None:
        self.images = FakeImages(images)


def test_a_build_stage_with_inherited_labels_never_takes_the_tag() -> None:
    hash_ = "ab" * 32
    tag = image_tag("base", hash_)
    # A multi-stage build's unnamed stage, listed first, carries the base's labels.
    stage = FakeImage(layers=9)
    base = FakeImage(layers=1, tags=[tag])
    assert _existing(FakeClient([stage, base]), "base", hash_)
    assert stage.tags == [] and base.tags == [tag]


def test_a_lost_tag_goes_back_to_the_image_with_the_fewest_layers() -> None:
    hash_ = "cd" * 32
    stage, base = FakeImage(layers=9), FakeImage(layers=1)
    assert _existing(FakeClient([stage, base]), "base", hash_)
    assert base.tags == [image_tag("base", hash_)] and stage.tags == []
