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
from bakeoff.core.secrets import looks_secret, redact_text, redact_url
from bakeoff.results.provenance import (
    _git_state,
    bakeoff_provenance,
    driver_versions,
    host_info,
    recorded_distributions,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql+psycopg://bench:s3cr%40t@db:5432/x",
            "postgresql+psycopg://bench:***@db:5432/x",
        ),
        ("redis://:pw@cache:6379/0", "redis://:***@cache:6379/0"),
        ("rediss://default:pw@cache:6380", "rediss://default:***@cache:6380"),
        (
            "mongodb://root:pw@h1:27017,h2:27017/db?authSource=admin",
            "mongodb://root:***@h1:27017,h2:27017/db?authSource=admin",
        ),
        # Reserved characters left unencoded in a password must not cut the redaction short.
        ("redis://:p#ss/w?rd@cache/0", "redis://:***@cache/0"),
        (
            "mysql+pymysql://u@h/db?password=pw&charset=utf8mb4&api_key=k",
            "mysql+pymysql://u@h/db?password=***&charset=utf8mb4&api_key=***",
        ),
        (
            "postgresql://u@h/db?sslmode=require&sslpassword=pw#frag",
            "postgresql://u@h/db?sslmode=require&sslpassword=***#frag",
        ),
        ("http://h/x?access%5Ftoken=t", "http://h/x?access%5Ftoken=***"),
        ("sqlite:///tmp/bench.db", "sqlite:///tmp/bench.db"),
        ("duckdb:///:memory:", "duckdb:///:memory:"),
        ("postgresql://bench@db/x", "postgresql://bench@db/x"),
        ("cassandra://db:9042", "cassandra://db:9042"),
        ("mysql://root:@db/x", "mysql://root:@db/x"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_text_finds_urls_inside_messages() -> None:
    message = "connect to postgresql://u:pw1@h/db?token=abc failed; retry redis://:pw2@r"
    assert redact_text(message) == (
        "connect to postgresql://u:***@h/db?token=*** failed; retry redis://:***@r"
    )
    assert redact_text("nothing to hide: http://example.org/a?b=c") == (
        "nothing to hide: http://example.org/a?b=c"
    )


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("password", True),
        ("PGPASSWORD", True),
        ("sslpassword", True),
        ("pwd", True),
        ("client_secret", True),
        ("auth-token", True),
        ("api_key", True),
        ("credentials", True),
        ("authSource", False),
        ("key_prefix", False),
        ("checks_passed", False),
        ("user", False),
    ],
)
def test_looks_secret(name: str, secret: bool) -> None:
    assert looks_secret(name) is secret


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
