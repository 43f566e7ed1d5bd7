"""The host's CA bundle travels in every build context, never in the recipe hash."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from bakeoff.engines.recipes import (
    BUILD_CA_ENV,
    BUILD_CA_NAME,
    build_ca_bundle,
    build_context,
    recipe_hash,
)

PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def _recipe(folder: Path) -> Path:
    folder.mkdir()
    (folder / "Dockerfile").write_text("FROM x\n")
    (folder / "conf").mkdir()
    (folder / "conf" / "a.yaml").write_text("a: 1\n")
    return folder


def test_context_holds_the_recipe_and_the_configured_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text(PEM)
    monkeypatch.setenv(BUILD_CA_ENV, str(bundle))
    folder = _recipe(tmp_path / "engine")
    before = recipe_hash(folder)
    with tarfile.open(fileobj=build_context(folder)) as tar:
        assert set(tar.getnames()) == {"Dockerfile", "conf", "conf/a.yaml", BUILD_CA_NAME}
        extracted = tar.extractfile(BUILD_CA_NAME)
        assert extracted is not None and extracted.read().decode() == PEM
    assert recipe_hash(folder) == before


def test_a_stale_copy_in_the_folder_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text(PEM)
    monkeypatch.setenv(BUILD_CA_ENV, str(bundle))
    folder = _recipe(tmp_path / "engine")
    (folder / BUILD_CA_NAME).write_text("old")
    with tarfile.open(fileobj=build_context(folder)) as tar:
        assert tar.getnames().count(BUILD_CA_NAME) == 1
        extracted = tar.extractfile(BUILD_CA_NAME)
        assert extracted is not None and extracted.read().decode() == PEM


def test_bundle_falls_back_to_the_system_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(BUILD_CA_ENV, str(tmp_path / "missing.pem"))
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    found = build_ca_bundle()
    # Whatever this host trusts (possibly nothing): never an error for a missing file.
    assert isinstance(found, bytes)
