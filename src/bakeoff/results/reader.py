"""Reading the result store: the one way to find runs, read a manifest, read samples and
tell which trials finished ok. Reports, the regression gate and the CLI read through here.

A run directory holds manifest.json and samples.parquet (a crashed run's hidden
`.<run_id>.partial/` directory holds manifest.json and trials/ instead; it is read when
named, never found by scanning a folder). A results folder holds run directories. Any
other path is an error that names it: FileNotFoundError when it does not exist,
NotARunError when it holds no run, DamagedRunError (a NotARunError) when a run's files
cannot be read as what they claim to be: a manifest that is not a JSON object or whose
trials list is missing or malformed, a samples file that is not Parquet or lacks the
schema's columns and types. Whatever the damage, a reader meets this one error naming
the file, never a decoder's own exception.

A manifest without its trials list (`{}`, say) is refused by `read_run` rather than
reported on: it is what says which trials finished ok, and counting every sample as ok
would put failed trials into a report. `load()` reads samples only, so it still returns
the intact samples of such a run.
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
from bakeoff.results.schema import (
    COLUMNS,
    JOURNAL_DIR,
    MANIFEST_FILE,
    OK_OUTCOME,
    SAMPLES_FILE,
    TRIALS_DIR,
    enforce_types,
    typed_frame,
)
from bakeoff.results.telemetry_store import read_telemetry, telemetry_files

OK = "ok"
"""The status of a trial whose measurements count."""


class NotARunError(ValueError):
    """A path names neither a readable run directory nor a results folder holding any."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"{path}: not a bakeoff run directory or results folder (it holds neither a "
            f"bakeoff run, {MANIFEST_FILE} with {SAMPLES_FILE}, nor run directories "
            "holding one)"
        )


class DamagedRunError(NotARunError):
    """A run's file exists but cannot be read as what it claims to be."""

    def __init__(self, file: Path, problem: str) -> None:
        ValueError.__init__(self, f"{file}: {problem}")
        self.file = file
        self.problem = problem

    def __reduce__(self) -> tuple[type[DamagedRunError], tuple[Path, str]]:
        # Raised in a report's worker processes too, and pickled back from there.
        return (DamagedRunError, (self.file, self.problem))


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
        data = json.loads(file.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{file}: no bakeoff manifest there") from None
    except OSError as exc:
        raise DamagedRunError(file, f"cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise DamagedRunError(file, "not a manifest: not UTF-8 text") from None
    except RecursionError:
        raise DamagedRunError(file, "not a manifest: JSON nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, or an integer too long to convert
        raise DamagedRunError(file, f"not a manifest: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise DamagedRunError(file, f"not a manifest: a JSON {type(data).__name__}, not an object")
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
        """The manifest's trial entries (`read_run` checked that each names its trial)."""
        entries = self.manifest.get("trials")
        return tuple(entries) if isinstance(entries, list) else ()

    def ok_trials(self) -> frozenset[int]:
        return frozenset(int(t["trial"]) for t in self.trials if t.get("status") == OK)

    def section(self, key: str) -> dict[str, Any]:
        """A mapping of the manifest (host, bakeoff, options, ...), empty when absent."""
        value = self.manifest.get(key)
        return {str(k): v for k, v in value.items()} if isinstance(value, Mapping) else {}

    def samples(self) -> pd.DataFrame:
        return _read_files(sample_files(self.path))

    def telemetry(self) -> pd.DataFrame:
        """The run's telemetry (results/telemetry_store.py); empty when it has none."""
        return _read_telemetry(telemetry_files(self.path))


def read_run(path: Path | str) -> StoredRun:
    """A run directory's manifest, checked to list its trials (see the module's doc)."""
    run_dir = Path(path)
    raw = load_manifest(run_dir)
    file = run_dir / MANIFEST_FILE if run_dir.is_dir() else run_dir
    _check_trials(file, raw.get("trials"))
    try:
        manifest = to_safe_json(raw)
    except RecursionError:
        raise DamagedRunError(file, "not a manifest: JSON nested too deeply") from None
    return StoredRun(run_dir, manifest if isinstance(manifest, dict) else {})


def _check_trials(file: Path, entries: object) -> None:
    if entries is None:
        raise DamagedRunError(
            file,
            "the manifest is missing its trials list, so which trials finished ok is "
            "unknown; bakeoff.results.load() still reads the samples",
        )
    if not isinstance(entries, list):
        raise DamagedRunError(file, "the manifest's trials is not a list")
    for position, entry in enumerate(entries):
        trial = entry.get("trial") if isinstance(entry, dict) else None
        if not isinstance(trial, int) or isinstance(trial, bool):
            raise DamagedRunError(
                file, f"trial entry {position} of the manifest does not name its trial number"
            )


def read_runs(paths: Sequence[Path | str]) -> list[StoredRun]:
    """The runs the paths name (see `run_directories`), manifests read."""
    return [read_run(p) for p in run_directories(paths)]


def ok_trial_keys(runs: Iterable[StoredRun]) -> set[tuple[str, int]]:
    """(run_id, trial) of every trial whose manifest status is ok."""
    return {(run.run_id, trial) for run in runs for trial in run.ok_trials()}


def sample_files(run_dir: Path) -> list[Path]:
    """samples.parquet, or a partial run's per-trial files and the journalled phases of
    the trial it was in (those of a trial with no per-trial file yet)."""
    if (run_dir / SAMPLES_FILE).is_file():
        return [run_dir / SAMPLES_FILE]
    trials = sorted((run_dir / TRIALS_DIR).glob("trial-*.parquet"))
    written = {file.stem for file in trials}
    phases = sorted(
        file
        for file in (run_dir / JOURNAL_DIR).glob("trial-*.parquet")
        if file.stem.rsplit("-", 2)[0] not in written
    )
    return trials + phases


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


def load_telemetry(path: Path | str | Sequence[Path | str]) -> pd.DataFrame:
    """The telemetry of one run, of every run in a results folder, or of a list of
    either (as `load` finds them): a row per trial, phase, interval, source and metric."""
    given = [path] if isinstance(path, str | os.PathLike) else list(path)
    runs = run_directories(given)
    return _read_telemetry([file for run in runs for file in telemetry_files(run)])


def _read_telemetry(files: Sequence[Path]) -> pd.DataFrame:
    try:
        return read_telemetry(files)
    except FileNotFoundError:
        raise
    except (*_PARQUET_ERRORS, KeyError) as exc:
        raise DamagedRunError(
            files[0].parent, f"telemetry not readable ({_first_line(exc)})"
        ) from None


def _read_files(files: Sequence[Path]) -> pd.DataFrame:
    if not files:
        return typed_frame([])
    return pd.concat([_read_samples(f) for f in files], ignore_index=True)


_PARQUET_ERRORS = (
    OSError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    NotImplementedError,
    MemoryError,
)


def _read_samples(file: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(file)
    except FileNotFoundError:
        raise FileNotFoundError(f"{file}: no such samples file") from None
    # Any bytes can sit in the file; Arrow and pandas answer damage with their own errors
    # (Arrow's derive from these), up to a MemoryError for a size no real file has.
    except _PARQUET_ERRORS as exc:
        raise DamagedRunError(file, f"not a readable Parquet file ({_first_line(exc)})") from None
    if "outcome" not in frame.columns and "histogram" in frame.columns:
        # Written before failed operations kept their latency: every row is an "ok" row.
        frame["outcome"] = OK_OUTCOME
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise DamagedRunError(file, f"not bakeoff samples, missing columns {missing}")
    extra = [c for c in frame.columns if c not in COLUMNS]
    try:
        typed = enforce_types(frame)
    except (ValueError, TypeError, OverflowError) as exc:
        raise DamagedRunError(
            file, f"not bakeoff samples, a column has the wrong type ({_first_line(exc)})"
        ) from None
    return pd.concat([typed, frame[extra]], axis=1) if extra else typed


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
