"""Recipe hashing and image naming: pure, no Docker."""

from __future__ import annotations

from pathlib import Path

import pytest

from bakeoff.engines.catalog import engine_spec, image_env_var, resolve_image
from bakeoff.engines.recipes import (
    BASE,
    NoRecipeError,
    image_tag,
    recipe_engines,
    recipe_files,
    recipe_hash,
    recipe_hashes,
    recipes_dir,
)


def _recipe(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


def test_hash_is_stable_and_independent_of_creation_order(tmp_path: Path) -> None:
    one = _recipe(tmp_path / "one", {"Dockerfile": "FROM x\n", "entrypoint.sh": "exec y\n"})
    two = _recipe(tmp_path / "two", {"entrypoint.sh": "exec y\n", "Dockerfile": "FROM x\n"})
    assert recipe_hash(one) == recipe_hash(two) == recipe_hash(one)
    assert len(recipe_hash(one)) == 64


def test_hash_follows_content_names_and_parent(tmp_path: Path) -> None:
    folder = _recipe(tmp_path / "r", {"Dockerfile": "FROM x\n"})
    original = recipe_hash(folder)
    assert recipe_hash(folder, parent="a") != original
    assert recipe_hash(folder, parent="a") != recipe_hash(folder, parent="b")

    (folder / "Dockerfile").write_text("FROM x\nRUN true\n")
    changed = recipe_hash(folder)
    assert changed != original

    (folder / "Dockerfile").rename(folder / "Containerfile")
    assert recipe_hash(folder) != changed


def test_file_boundaries_cannot_be_shifted(tmp_path: Path) -> None:
    # Moving bytes from the end of one file to the start of the next must change the hash.
    a = _recipe(tmp_path / "a", {"a": "xy", "b": "z"})
    b = _recipe(tmp_path / "b", {"a": "x", "b": "yz"})
    assert recipe_hash(a) != recipe_hash(b)


def test_docs_and_dotfiles_do_not_count(tmp_path: Path) -> None:
    folder = _recipe(tmp_path / "r", {"Dockerfile": "FROM x\n"})
    before = recipe_hash(folder)
    _recipe(folder, {"README.md": "notes", ".swp": "junk", "__pycache__/x.pyc": "junk"})
    assert recipe_hash(folder) == before
    assert [p.name for p in recipe_files(folder)] == ["Dockerfile"]
    _recipe(folder, {"conf/extra.cnf": "[mariadbd]\n"})
    assert recipe_hash(folder) != before


def test_empty_recipe_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(NoRecipeError):
        recipe_hash(tmp_path / "empty")


def test_engine_hashes_chain_to_the_base(tmp_path: Path) -> None:
    root = _recipe(
        tmp_path / "docker",
        {
            "base/build.sh": "debootstrap\n",
            "pg/Dockerfile": "FROM base\n",
            "notes/README.md": "not a recipe\n",
        },
    )
    assert recipe_engines(root) == ["pg"]
    before = recipe_hashes(root)
    assert set(before) == {BASE, "pg"}
    (root / "base" / "build.sh").write_text("debootstrap --variant=minbase\n")
    after = recipe_hashes(root)
    assert after[BASE] != before[BASE]
    assert after["pg"] != before["pg"]


def test_tags_carry_the_hash_prefix() -> None:
    hash_ = "0123456789abcdef" * 4
    assert image_tag("postgres", hash_) == "bakeoff/postgres:0123456789ab"
    assert image_tag(BASE, hash_) == "bakeoff/debian-bookworm:0123456789ab"


def test_the_checkout_recipes_are_found() -> None:
    recipes = recipes_dir()
    assert {"postgres", "mariadb", "redis"} <= set(recipe_engines(recipes))
    assert "mysql" not in recipe_engines(recipes)
    assert len(set(recipe_hashes(recipes).values())) == len(recipe_engines(recipes)) + 1


def test_image_resolution_order(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = engine_spec("postgres")
    monkeypatch.delenv(image_env_var("postgres"), raising=False)
    assert resolve_image(spec) == spec.image
    monkeypatch.setenv("BAKEOFF_IMAGE_POSTGRES", "bakeoff/postgres:local")
    assert resolve_image(spec) == "bakeoff/postgres:local"
    assert resolve_image(spec, "postgres:16") == "postgres:16"


def test_every_container_engine_pins_its_official_image() -> None:
    for name in ("postgres", "mariadb", "mysql", "redis"):
        image = engine_spec(name).image
        assert image is not None
        tag = image.partition(":")[2]
        assert any(ch.isdigit() for ch in tag) and "latest" not in tag, image
    assert not engine_spec("mysql").tested_here
