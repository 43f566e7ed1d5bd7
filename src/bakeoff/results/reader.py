"""Reading the result store: the one way to find runs, read a manifest, read samples and
tell which trials finished ok. Reports, the regression gate and the CLI read through here.

A run directory holds manifest.json and samples.parquet (a crashed run's hidden
`.<run_id>.partial/` directory holds manifest.json and trials/ instead; it is read when
named, never found by scanning a folder). A results folder holds run directories. Any
other path is an error that names it: FileNotFoundError when it does not exist,
NotARunError when it holds no run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from bakeoff.results.safe_json import to_safe_json
from bakeoff.results.schema import COLUMNS, MANIFEST_FILE, SAMPLES_FILE, TRIALS_DIR, typed_frame

OK = "ok"
"""The status of a trial whose measurements count."""


class NotARunError(ValueError):
    """A path names neither a run directory nor a results folder holding any."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"{path}: not a bakeoff run directory or results folder (it holds neither a "
            f"bakeoff run, {MANIFEST_FILE} with {SAMPLES_FILE}, nor run directories "
            "holding one)"
        )


def is_finished_run(path: Path) -> bool:
    return (path / MANIFEST_FILE).is_file() and (path / SAMPLES_FILE).is_file()


def is_run(path: Path) -> bool:
    """A finished run, or the partial directory of one that did not finish."""
    return is_finished_run(path) or (
        (path / MANIFEST_FILE).is_file() and (path / TRIALS_DIR).is_dir()
    )


def run_directories(paths: Sequence[Path | str]) -> list[Path]:
    """Each path as a run directory, or the finished runs inside a results folder; a run
    named twice (directly or through its folder) is listed once."""
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such run directory or results folder")
        if is_run(path):
            found.append(path)
            continue
        runs = (
            sorted(
                child
                for child in path.iterdir()
                if child.is_dir() and not child.name.startswith(".") and is_finished_run(child)
            )
            if path.is_dir()
            else []
        )
        if not runs:
            raise NotARunError(path)
        found.extend(runs)
    unique: dict[Path, Path] = {}
    for run in found:
        unique.setdefault(run.resolve(), run)
    return list(unique.values())


def load_manifest(run_dir: Path | str) -> dict[str, object]:
    """The manifest of a run directory (or the manifest.json file itself), as written."""
    path = Path(run_dir)
    file = path / MANIFEST_FILE if path.is_dir() else path
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"{file}: no bakeoff manifest there") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{file}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{file}: a manifest is a JSON object")
    return data


@dataclass(frozen=True)
class StoredRun:
    """A run directory and its manifest, redacted again on reading: a manifest written
    by an older or a hand-edited tool must not carry a credential into a report."""

    path: Path
    manifest: Mapping[str, Any]

    @property
    def run_id(self) -> str:
        return str(self.manifest.get("run_id") or self.path.name)

    @property
    def trials(self) -> tuple[Mapping[str, Any], ...]:
        """The manifest's trial entries (those that name their trial)."""
        entries = self.manifest.get("trials")
        if not isinstance(entries, list):
            return ()
        return tuple(e for e in entries if isinstance(e, Mapping) and "trial" in e)

    def ok_trials(self) -> frozenset[int]:
        return frozenset(int(t["trial"]) for t in self.trials if t.get("status") == OK)

    def section(self, key: str) -> dict[str, Any]:
        """A mapping of the manifest (host, bakeoff, options, ...), empty when absent."""
        value = self.manifest.get(key)
        return {str(k): v for k, v in value.items()} if isinstance(value, Mapping) else {}

    def samples(self) -> pd.DataFrame:
        return _read_files(sample_files(self.path))


def read_run(path: Path | str) -> StoredRun:
    manifest = to_safe_json(load_manifest(path))
    return StoredRun(Path(path), manifest if isinstance(manifest, dict) else {})


def read_runs(paths: Sequence[Path | str]) -> list[StoredRun]:
    """The runs the paths name (see `run_directories`), manifests read."""
    return [read_run(p) for p in run_directories(paths)]


def ok_trial_keys(runs: Iterable[StoredRun]) -> set[tuple[str, int]]:
    """(run_id, trial) of every trial whose manifest status is ok."""
    return {(run.run_id, trial) for run in runs for trial in run.ok_trials()}


def sample_files(run_dir: Path) -> list[Path]:
    """samples.parquet, or a partial run's per-trial files."""
    if (run_dir / SAMPLES_FILE).is_file():
        return [run_dir / SAMPLES_FILE]
    return sorted((run_dir / TRIALS_DIR).glob("trial-*.parquet"))


def load(path: Path | str | Sequence[Path | str]) -> pd.DataFrame:
    """The samples of one run, of every run in a results folder, or of a list of either.

    A partial run directory (`.<run_id>.partial`, left by a crash) can be named
    explicitly to read the trials it kept; folders are scanned for finished runs only.
    A Parquet file of samples can be named too.
    """
    given = [path] if isinstance(path, str | os.PathLike) else list(path)
    if not given:
        raise ValueError("load() needs at least one run directory or results folder")
    files: list[Path] = []
    for item in map(Path, given):
        if item.is_file() and item.suffix == ".parquet":
            files.append(item)
        else:
            files.extend(f for run in run_directories([item]) for f in sample_files(run))
    unique: dict[Path, Path] = {}
    for file in files:
        unique.setdefault(file.resolve(), file)
    return _read_files(list(unique.values()))


def _read_files(files: Sequence[Path]) -> pd.DataFrame:
    if not files:
        return typed_frame([])
    return pd.concat([_read_samples(f) for f in files], ignore_index=True)


def _read_samples(file: Path) -> pd.DataFrame:
    frame = pd.read_parquet(file)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{file}: not bakeoff samples, missing columns {missing}")
    extra = [c for c in frame.columns if c not in COLUMNS]
    return frame[[*COLUMNS, *extra]]
