from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

import bakeoff
from bakeoff.results.provenance import (
    _git_state,
    bakeoff_provenance,
    driver_versions,
    host_info,
    recorded_distributions,
)


def test_host_info() -> None:
    host = host_info()
    assert isinstance(host["logical_cores"], int) and host["logical_cores"] >= 1
    assert isinstance(host["memory_bytes"], int) and host["memory_bytes"] > 0
    assert host["python"] == platform.python_version()
    for key in ("cpu_model", "os", "kernel", "machine", "platform"):
        assert key in host


def test_driver_versions_lists_installed_ones_only() -> None:
    found = driver_versions(["pandas", "hdrhistogram", "no-such-distribution-bakeoff"])
    assert found["pandas"] == pd.__version__
    assert "hdrhistogram" in found
    assert "no-such-distribution-bakeoff" not in found
    assert "sqlalchemy" in driver_versions()


def test_every_engines_driver_is_recorded_without_a_list_to_keep() -> None:
    # pymemcache and psycopg come from the engines' driver modules, not a fixed list.
    recorded = recorded_distributions()
    assert {"pymemcache", "psycopg", "pymysql", "duckdb-engine", "numpy"} <= set(recorded)
    assert "pymemcache" in driver_versions()


def test_bakeoff_provenance_shape() -> None:
    info = bakeoff_provenance()
    assert info["version"] == bakeoff.__version__
    sha = info["git_sha"]
    assert sha is None or re.fullmatch(r"[0-9a-f]{40}", str(sha))
    assert (info["dirty"] is None) == (sha is None)


needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    done = subprocess.run(
        ["git", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@needs_git
def test_git_state_of_a_checkout(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    package = repo / "src" / "pkg"
    package.mkdir(parents=True)
    (package / "mod.py").write_text("x = 1\n")
    git(repo, "init", "-q")
    assert _git_state(package) == (None, None)  # no commit yet

    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "init")
    head = git(repo, "rev-parse", "HEAD")
    assert _git_state(package) == (head, False)

    (package / "scratch.txt").write_text("untracked files do not make a checkout dirty")
    assert _git_state(package) == (head, False)

    (package / "mod.py").write_text("x = 2\n")
    assert _git_state(package) == (head, True)


@needs_git
def test_git_state_outside_a_checkout(tmp_path: Path) -> None:
    assert _git_state(tmp_path) == (None, None)


@needs_git
def test_git_state_of_an_install_inside_an_ignored_venv(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    site = repo / ".venv" / "site-packages" / "pkg"
    site.mkdir(parents=True)
    (repo / ".gitignore").write_text(".venv/\n")
    git(repo, "init", "-q")
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-q", "-m", "init")
    assert _git_state(site) == (None, None)
