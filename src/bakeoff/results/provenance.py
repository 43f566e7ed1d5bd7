"""Where a result came from: host, harness build, driver versions.

Everything here ends up in a run's manifest, which is meant to be published next to the
numbers, so nothing in this module may return a secret.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, packages_distributions, version
from pathlib import Path

import psutil

import bakeoff
from bakeoff.engines.catalog import CATALOG
from bakeoff.results.wakeup import wakeup_indicator

HARNESS_DISTRIBUTIONS: tuple[str, ...] = (
    "sqlalchemy",
    "hiredis",
    "numpy",
    "pandas",
    "pyarrow",
    "hdrhistogram",
)
"""Libraries besides the engines' drivers whose version can change a result: the SQL
toolkit, redis-py's reply parser, and what computes and stores the numbers."""

_GIT_TIMEOUT_S = 2.0


def host_info() -> dict[str, object]:
    """The machine the load generator ran on."""
    uname = platform.uname()
    return {
        "cpu_model": _cpu_model(),
        "logical_cores": os.cpu_count(),
        # Fewer than logical_cores when a container or taskset limits the process.
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_bytes": int(psutil.virtual_memory().total),
        "os": uname.system,
        "kernel": uname.release,
        "platform": platform.platform(),
        "machine": uname.machine,
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        # How slow idle CPUs are to wake: what one-connection figures depend on.
        "idle_wakeup": wakeup_indicator(),
    }


def _cpu_model() -> str | None:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    # x86 says "model name"; ARM and others use one of the later keys.
    for key in ("model name", "Hardware", "Processor", "cpu model", "cpu"):
        for line in text.splitlines():
            name, sep, value = line.partition(":")
            if sep and name.strip() == key and value.strip():
                return value.strip()
    return platform.processor() or None


def bakeoff_provenance() -> dict[str, object]:
    """bakeoff's version and, when it runs from a git checkout, the commit and dirty flag.

    `git_sha` and `dirty` are None when the package is not in a work tree (an installed
    wheel) or the work tree has no commit yet.
    """
    sha, dirty = _git_state(Path(bakeoff.__file__).resolve().parent)
    return {"version": bakeoff.__version__, "git_sha": sha, "dirty": dirty}


def _git_state(package_dir: Path) -> tuple[str | None, bool | None]:
    git = shutil.which("git")
    if git is None:
        return None, None
    # A wheel installed into a virtualenv inside some repository is inside a work tree too;
    # only a package directory git does not ignore is the source of the running code.
    inside = _git(git, package_dir, "rev-parse", "--is-inside-work-tree")
    if inside != "true" or _git_ok(git, package_dir, "check-ignore", "-q", "."):
        return None, None
    sha = _git(git, package_dir, "rev-parse", "HEAD")
    if not sha:
        return None, None
    # Untracked files do not count, as with `git describe --dirty`: scratch files in a
    # checkout are common and do not change what was measured.
    status = _git(git, package_dir, "status", "--porcelain", "--untracked-files=no")
    return sha, None if status is None else bool(status)


def _run_git(git: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str] | None:
    # No index lock: a benchmark must never interfere with an editor or a concurrent git.
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    try:
        return subprocess.run(  # noqa: S603 - fixed git arguments, no shell
            [git, *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None


def _git(git: str, cwd: Path, *args: str) -> str | None:
    done = _run_git(git, cwd, *args)
    if done is None or done.returncode != 0:
        return None
    return done.stdout.strip()


def git_head(cwd: Path) -> str | None:
    """The commit checked out in the git work tree at `cwd`, or None (no git, no tree)."""
    git = shutil.which("git")
    return None if git is None else _git(git, cwd, "rev-parse", "HEAD") or None


def _git_ok(git: str, cwd: Path, *args: str) -> bool:
    done = _run_git(git, cwd, *args)
    return done is not None and done.returncode == 0


def recorded_distributions() -> list[str]:
    """The distributions a manifest records: every catalog engine's driver (found from its
    driver modules, so an engine added by a plugin needs no list here) and the harness's."""
    owners = packages_distributions()
    drivers = {
        _normalized(dist)
        for spec in CATALOG.values()
        for module in spec.driver_modules
        for dist in owners.get(module.partition(".")[0], [])
    }
    return sorted(drivers | set(HARNESS_DISTRIBUTIONS))


def _normalized(distribution: str) -> str:
    # PEP 503's form: PyMySQL and pymysql, duckdb_engine and duckdb-engine are one project.
    return re.sub(r"[-_.]+", "-", distribution).lower()


def driver_versions(distributions: Iterable[str] | None = None) -> dict[str, str]:
    """Installed versions of the given distributions (by default `recorded_distributions`);
    those not installed are left out."""
    found: dict[str, str] = {}
    for name in recorded_distributions() if distributions is None else distributions:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found
