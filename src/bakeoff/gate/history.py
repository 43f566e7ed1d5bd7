"""A history store: runs appended night after night, queried with duckdb.

Layout of a history directory::

    HISTORY/
      bakeoff-history.json          marks the directory as a history (format, version)
      points/<run_id>.parquet       one row per ok trial × operation: the per-trial
                                    metrics of `summarize()` plus the keys below
      runs/<run_id>/                the run itself, copied verbatim (manifest.json +
                                    samples.parquet), so any percentile can be recomputed

Keys on every point: `engine_version`, `workload_hash`, `host_fingerprint` (a hash of
CPU model, core count, memory and OS, so only runs from like machines form a series) and
`git_sha` (the commit under test). One file per run keeps `add` an atomic rename that
never rewrites what is there; duckdb reads them all with one glob.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from bakeoff.core.files import write_bytes_atomically
from bakeoff.core.histogram import HistogramError
from bakeoff.gate.metrics import trial_metrics
from bakeoff.gate.plan_changes import PlanChange, plan_changes
from bakeoff.results.provenance import git_head
from bakeoff.results.reader import (
    DamagedRunError,
    StoredRun,
    is_finished_run,
    ok_trial_keys,
    read_run,
)
from bakeoff.results.schema import MANIFEST_FILE, PLANS_FILE, SAMPLES_FILE

MARKER = "bakeoff-history.json"
FORMAT = "bakeoff-history"
FORMAT_VERSION = 1
POINTS_DIR = "points"
RUNS_DIR = "runs"

POINT_COLUMNS = (
    "run_id",
    "run_started_at",
    "trial",
    "repetition",
    "engine",
    "engine_version",
    "workload",
    "workload_hash",
    "operation",
    "ops_per_s",
    "p50_us",
    "p90_us",
    "p99_us",
    "p999_us",
    "max_us",
    "mean_us",
    "count",
    "errors",
    "host_fingerprint",
    "host",
    "git_sha",
    "git_sha_source",
    "bakeoff_version",
    "bakeoff_git_sha",
    "label",
    "added_at",
)

_GIB = 2**30


class HistoryError(ValueError):
    """A history that cannot be read or written as asked (a usage error)."""


@dataclass(frozen=True)
class AddedRun:
    run_id: str
    git_sha: str | None
    git_sha_source: str
    host_fingerprint: str
    points: int
    """Rows written: ok trials × operations."""
    plan_changes: tuple[PlanChange, ...] = ()
    """Shapes whose plan differs from the history's previous run of their workload hash."""


def is_history(path: Path | str) -> bool:
    return (Path(path) / MARKER).is_file()


def init(path: Path | str) -> Path:
    """Create an empty history (or accept an existing one)."""
    root = Path(path)
    if is_history(root):
        return root
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise HistoryError(f"{root}: exists and is not a bakeoff history; choose another path")
    (root / POINTS_DIR).mkdir(parents=True, exist_ok=True)
    (root / RUNS_DIR).mkdir(exist_ok=True)
    marker = {"format": FORMAT, "version": FORMAT_VERSION}
    write_bytes_atomically(root / MARKER, json.dumps(marker, indent=2).encode() + b"\n")
    return root


def host_fingerprint(host: Mapping[str, object]) -> str:
    """A short stable hash of what makes two machines comparable.

    Memory is rounded to whole GiB: the total the kernel reports moves by a few MiB across
    kernel updates, which does not make a different machine.
    """
    memory = host.get("memory_bytes")
    memory_gib = round(int(memory) / _GIB) if isinstance(memory, int | float) else None
    parts = {
        "cpu_model": host.get("cpu_model"),
        "logical_cores": host.get("logical_cores"),
        "memory_gib": memory_gib,
        "os": host.get("os"),
        "machine": host.get("machine"),
    }
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
    return digest[:16]


def resolve_git_sha(
    manifest: Mapping[str, object], explicit: str | None = None
) -> tuple[str | None, str]:
    """The commit under test, and where it came from.

    In order: the value given; $GITHUB_SHA (a GitHub Actions job); the HEAD of the git
    work tree the command runs in (the team's repository in a nightly job); the commit
    bakeoff itself was run from (its manifest).
    """
    if explicit:
        return explicit, "option"
    env = os.environ.get("GITHUB_SHA")
    if env:
        return env, "GITHUB_SHA"
    head = git_head(Path.cwd())
    if head:
        return head, "cwd"
    bakeoff = manifest.get("bakeoff")
    if isinstance(bakeoff, Mapping) and bakeoff.get("git_sha"):
        return str(bakeoff["git_sha"]), "bakeoff"
    return None, "unknown"


def add_run(
    history: Path | str,
    run_dir: Path | str,
    *,
    git_sha: str | None = None,
    label: str | None = None,
    create: bool = True,
) -> AddedRun:
    """Append one finished run. A run already in the history is refused, never doubled."""
    root = Path(history)
    run = Path(run_dir)
    if not is_history(root):
        if not create:
            raise HistoryError(f"{root}: not a bakeoff history (no {MARKER})")
        init(root)
    if not is_finished_run(run):
        raise HistoryError(f"{run}: not a finished bakeoff run directory")
    stored = read_run(run)
    manifest = stored.manifest
    run_id = stored.run_id
    points_file = root / POINTS_DIR / f"{run_id}.parquet"
    if points_file.exists():
        raise HistoryError(f"run {run_id} is in {root} already")

    try:
        metrics = trial_metrics(stored.samples(), ok_trials=ok_trial_keys([stored]))
    except HistogramError as exc:
        raise DamagedRunError(run / SAMPLES_FILE, str(exc)) from None
    if metrics.empty:
        raise HistoryError(f"{run}: no successful trial to add")
    host_map = stored.section("host")
    fingerprint = host_fingerprint(host_map)
    sha, source = resolve_git_sha(manifest, git_sha)
    bakeoff_map = stored.section("bakeoff")

    points = metrics.copy()
    points["run_started_at"] = _timestamp(manifest.get("started_at"))
    points["host_fingerprint"] = fingerprint
    points["host"] = _host_label(host_map)
    points["git_sha"] = sha
    points["git_sha_source"] = source
    points["bakeoff_version"] = str(bakeoff_map.get("version") or "")
    bakeoff_sha = bakeoff_map.get("git_sha")
    points["bakeoff_git_sha"] = str(bakeoff_sha) if bakeoff_sha else None
    points["label"] = label
    points["added_at"] = pd.Timestamp(datetime.now(UTC))
    points = points[list(POINT_COLUMNS)]

    earlier = [d for d in (root / RUNS_DIR).iterdir() if d.is_dir() and d.name[0] != "."]
    changes = tuple(plan_changes(earlier, [run]))
    # The run's copy lands first: a points file always has its run next to it.
    target = root / RUNS_DIR / run_id
    if not target.exists():
        staging = root / RUNS_DIR / f".{run_id}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for name in (MANIFEST_FILE, SAMPLES_FILE, PLANS_FILE):
            if name != PLANS_FILE or (run / name).exists():  # plans are optional
                shutil.copy2(run / name, staging / name)
        os.rename(staging, target)
    tmp = points_file.with_name(f".{points_file.name}.tmp")
    points.to_parquet(tmp, index=False)
    os.replace(tmp, points_file)
    return AddedRun(run_id, sha, source, fingerprint, len(points), changes)


def _timestamp(value: object) -> pd.Timestamp:
    if isinstance(value, str) and value:
        stamp = pd.Timestamp(value)
        return stamp if stamp.tzinfo is not None else stamp.tz_localize(UTC)
    return pd.Timestamp(datetime.now(UTC))


def _host_label(host: Mapping[str, object]) -> str:
    memory = host.get("memory_bytes")
    gib = f"{round(int(memory) / _GIB)} GiB" if isinstance(memory, int | float) else "? GiB"
    return f"{host.get('cpu_model') or '?'} ×{host.get('logical_cores') or '?'}, {gib}, " + str(
        host.get("os") or "?"
    )


def require(history: Path | str) -> Path:
    root = Path(history)
    if not is_history(root):
        raise HistoryError(f"{root}: not a bakeoff history (no {MARKER}); `bakeoff history add`")
    return root


def query(history: Path | str, sql: str) -> pd.DataFrame:
    """Run SQL over the history's points, exposed as the view `points`."""
    import duckdb

    root = require(history)
    files = sorted((root / POINTS_DIR).glob("*.parquet"))
    if not files:
        return pd.DataFrame(columns=list(POINT_COLUMNS))
    with duckdb.connect() as con:
        # A relation rather than SQL text: file paths never need quoting this way.
        con.read_parquet([str(f) for f in files], union_by_name=True).create_view("points")
        return con.execute(sql).df()


def points(history: Path | str) -> pd.DataFrame:
    """Every point, oldest run first."""
    return query(history, "SELECT * FROM points ORDER BY run_started_at, run_id, trial, operation")


def list_runs(history: Path | str) -> pd.DataFrame:
    """One row per run: when, which commit, which engines and workloads, how many trials."""
    return query(
        history,
        """
        SELECT run_id,
               min(run_started_at) AS started_at,
               any_value(git_sha) AS git_sha,
               any_value(host_fingerprint) AS host_fingerprint,
               string_agg(DISTINCT engine, ',' ORDER BY engine) AS engines,
               string_agg(DISTINCT engine_version, ',' ORDER BY engine_version)
                   AS engine_versions,
               string_agg(DISTINCT workload, ',' ORDER BY workload) AS workloads,
               count(DISTINCT trial) AS trials,
               any_value(label) AS label
        FROM points
        GROUP BY run_id
        ORDER BY started_at, run_id
        """,
    )


def latest_trial_metrics(
    history: Path | str,
    *,
    exclude_runs: set[str] | None = None,
    host_fingerprints: set[str] | None = None,
) -> pd.DataFrame:
    """For each engine × workload, the trials of its newest run (minus `exclude_runs`).

    With `host_fingerprints`, only runs from those hosts are considered.
    """
    frame = points(history)
    if exclude_runs:
        frame = frame[~frame["run_id"].astype(str).isin(exclude_runs)]
    if host_fingerprints is not None:
        frame = frame[frame["host_fingerprint"].astype(str).isin(host_fingerprints)]
    if frame.empty:
        return frame
    newest = (
        frame.sort_values(["run_started_at", "run_id"])
        .groupby(["engine", "workload"], sort=False)["run_id"]
        .last()
        .reset_index()
    )
    return frame.merge(newest, on=["engine", "workload", "run_id"], how="inner")


def run_fingerprints(runs: Sequence[StoredRun]) -> set[str]:
    """Host fingerprints of the given runs, from their manifests."""
    return {host_fingerprint(run.section("host")) for run in runs}


SERIES_KEYS = ("engine", "workload", "workload_hash", "host_fingerprint", "operation")
"""What makes points comparable. The engine version is not among them on purpose: an
engine upgrade is one of the changes a series must be able to show."""


def run_medians(history: Path | str, columns: tuple[str, ...]) -> pd.DataFrame:
    """One row per series × run: the median over the run's trials of each column."""
    frame = points(history)
    if frame.empty:
        return frame
    value_columns = list(columns)
    grouped = frame.groupby([*SERIES_KEYS, "run_id"], sort=False, dropna=False)
    medians = grouped[value_columns].median()
    firsts = grouped[["run_started_at", "git_sha", "engine_version"]].first()
    trials = grouped["trial"].nunique().rename("trials")
    out = pd.concat([medians, firsts, trials], axis=1).reset_index()
    return out.sort_values([*SERIES_KEYS, "run_started_at", "run_id"]).reset_index(drop=True)
