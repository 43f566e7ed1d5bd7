"""The result store: one directory per run holding samples.parquet and manifest.json.

A run is written into a hidden `.<run_id>.partial/` directory next to its final place:
each trial is persisted the moment the runner hands it over, so a crash or Ctrl-C keeps
everything measured so far; `finish()` concatenates the trials and renames the directory
into place, which readers therefore see either complete or not at all.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import re
import secrets
import shutil
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from types import MappingProxyType

import pandas as pd
from pydantic import BaseModel

from bakeoff.core.histogram import decode, percentiles_us
from bakeoff.core.measures import IntervalRow, LatencyKind, Phase
from bakeoff.core.secrets import REDACTED, looks_secret, redact_argv, redact_text, redact_url
from bakeoff.harness.trial import STATUSES, TrialRecord
from bakeoff.results.provenance import bakeoff_provenance, driver_versions, host_info
from bakeoff.results.schema import COLUMNS
from bakeoff.workloads.model import Workload

SCHEMA_VERSION = 1
SAMPLES_FILE = "samples.parquet"
MANIFEST_FILE = "manifest.json"
TRIALS_DIR = "trials"
"""Per-trial Parquet files inside a partial run directory (removed by `finish`)."""

RUN_STATUSES = STATUSES | {"partial"}
"""What a finished run may end as: "partial" when some trials failed and others did not.
An unfinished run's manifest says "running"."""
RUNNING = "running"

LATENCY_KINDS = {
    "service": (
        "Completion minus the actual start of each call: the time the engine and driver "
        "took. This is all a closed loop measures."
    ),
    "response": (
        "Completion minus the intended start of each call under an open loop (target "
        "rate): service time plus any time the request waited behind a slow one. It is "
        "what a client at that rate experiences and is free of coordinated omission."
    ),
}

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_NO_LATENCY = dict.fromkeys(
    ("mean_us", "p50_us", "p90_us", "p99_us", "p999_us", "max_us"), math.nan
)
_NO_OPTIONS: Mapping[str, object] = MappingProxyType({})

_INT_COLUMNS = frozenset(
    {
        "trial",
        "repetition",
        "interval",
        "count",
        "not_found",
        "errors_transient",
        "errors_fatal",
        "errors_unsupported",
        "errors",
    }
)
_FLOAT_COLUMNS = frozenset(
    {
        "start_s",
        "duration_s",
        "throughput_ops",
        "mean_us",
        "p50_us",
        "p90_us",
        "p99_us",
        "p999_us",
        "max_us",
    }
)


class RunExistsError(FileExistsError):
    """A run directory with this id exists already; results are never overwritten."""


class RunWriter:
    """Writes one run. Not reusable: make one per run, add its trials, then `finish`."""

    def __init__(
        self,
        output_dir: Path,
        *,
        run_id: str | None = None,
        command: Sequence[str] = (),
        options: Mapping[str, object] = _NO_OPTIONS,
    ) -> None:
        self._run_id = run_id if run_id is not None else new_run_id()
        if not _RUN_ID.match(self._run_id):
            raise ValueError(
                f"run id {self._run_id!r} must be letters, digits, '_', '.' or '-' "
                "(at most 128, not starting with a punctuation mark)"
            )
        output_dir = Path(output_dir)
        self._final = output_dir / self._run_id
        self._partial = output_dir / f".{self._run_id}.partial"
        self._command = redact_argv(command)
        self._options = dict(options)
        self._started_at = datetime.now(UTC)
        # Gathered once, up front: they describe what the run started with, and a crash
        # later must not leave a manifest without them.
        self._bakeoff = bakeoff_provenance()
        self._host = host_info()
        self._drivers = driver_versions()
        self._trials: list[dict[str, object]] = []
        self._trial_files: list[str] = []
        self._workloads: dict[str, dict[str, object]] = {}
        self._lock = threading.Lock()
        self._finished: Path | None = None

        output_dir.mkdir(parents=True, exist_ok=True)
        if self._final.exists():
            raise RunExistsError(f"{self._final}: a run with id {self._run_id!r} exists already")
        try:
            self._partial.mkdir()
        except FileExistsError:
            raise RunExistsError(
                f"{self._partial}: an unfinished run with id {self._run_id!r} is there "
                "(a crashed or concurrent run); move it away or choose another run id"
            ) from None
        (self._partial / TRIALS_DIR).mkdir()
        self._write_manifest(RUNNING, ended_at=None)

    @property
    def run_id(self) -> str:
        return self._run_id

    @property
    def path_final(self) -> Path:
        return self._final

    @property
    def path_partial(self) -> Path:
        return self._partial

    def add_trial(self, trial: TrialRecord) -> None:
        """Persist one trial now (its samples and its manifest entry)."""
        with self._lock:
            if self._finished is not None:
                raise RuntimeError(f"run {self._run_id} is finished; no trial can be added")
            name = f"trial-{trial.trial:05d}-rep-{trial.repetition:03d}.parquet"
            if name in self._trial_files:
                raise ValueError(
                    f"trial {trial.trial} repetition {trial.repetition} was added already"
                )
            frame = _trial_frame(self._run_id, trial)
            _write_parquet(frame, self._partial / TRIALS_DIR / name)
            self._trial_files.append(name)
            self._trials.append(self._trial_entry(trial))
            self._write_manifest(RUNNING, ended_at=None)

    def finish(self, status: str) -> Path:
        """Write samples.parquet and the final manifest, then move the run into place."""
        with self._lock:
            if self._finished is not None:
                return self._finished
            if status not in RUN_STATUSES:
                raise ValueError(f"run status {status!r} is not one of {sorted(RUN_STATUSES)}")
            trials_dir = self._partial / TRIALS_DIR
            # A retry after a failed rename finds the trial files gone and samples written.
            if trials_dir.is_dir():
                _write_parquet(self._samples(trials_dir), self._partial / SAMPLES_FILE)
            self._write_manifest(status, ended_at=datetime.now(UTC))
            if self._final.exists():
                raise RunExistsError(
                    f"{self._final} appeared while the run was being written; the complete "
                    f"run is kept in {self._partial}"
                )
            # samples.parquet holds every trial now; readers prefer it over the trial files.
            shutil.rmtree(trials_dir, ignore_errors=True)
            try:
                # os.rename fails on a non-empty target; an empty directory created in the
                # instant since the check above would be replaced, which loses no result.
                os.rename(self._partial, self._final)
            except OSError as exc:
                if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
                    raise RunExistsError(
                        f"{self._final} appeared while the run was being written; the "
                        f"complete run is kept in {self._partial}"
                    ) from exc
                raise
            _fsync_dir(self._final.parent)
            self._finished = self._final
            return self._final

    def _samples(self, trials_dir: Path) -> pd.DataFrame:
        if not self._trial_files:
            return _typed_frame([])
        frames = [pd.read_parquet(trials_dir / name) for name in self._trial_files]
        return _enforce_types(pd.concat(frames, ignore_index=True))

    def _trial_entry(self, trial: TrialRecord) -> dict[str, object]:
        workload_hash = trial.workload.spec_hash()
        self._register_workload(trial.workload, workload_hash)
        return {
            "trial": trial.trial,
            "repetition": trial.repetition,
            "engine": trial.engine,
            "engine_version": trial.engine_version,
            "adapter": trial.adapter,
            "endpoint": redact_url(trial.endpoint_display_url),
            "settings": dict(trial.settings),
            "provenance": dict(trial.provenance),
            "threads": trial.connections,
            "seed": trial.seed,
            "workload": trial.workload.name,
            "workload_hash": workload_hash,
            "started_at": iso_utc(trial.started_at),
            "ended_at": iso_utc(trial.ended_at),
            "status": trial.status,
            "error": trial.error,
            "verify": dict(trial.verify),
            "load_generator": dict(trial.load_generator),
            "rows": len(trial.rows),
        }

    def _register_workload(self, workload: Workload, workload_hash: str) -> None:
        entry: dict[str, object] = {
            "name": workload.name,
            "hash": workload_hash,
            "spec": workload.model_dump(mode="json"),
        }
        known = self._workloads.get(workload.name)
        if known is None:
            self._workloads[workload.name] = entry
        elif known["hash"] != workload_hash:
            # Same name, different spec (command-line overrides): both must stay findable.
            self._workloads.setdefault(f"{workload.name}@{workload_hash[:12]}", entry)

    def _write_manifest(self, status: str, *, ended_at: datetime | None) -> None:
        manifest: dict[str, object] = {
            "schema_version": SCHEMA_VERSION,
            "run_id": self._run_id,
            "status": status,
            "command": self._command,
            "options": self._options,
            "started_at": iso_utc(self._started_at),
            "ended_at": None if ended_at is None else iso_utc(ended_at),
            "bakeoff": self._bakeoff,
            "host": self._host,
            "drivers": self._drivers,
            "workloads": self._workloads,
            "trials": self._trials,
            "latency_kinds": LATENCY_KINDS,
        }
        text = json.dumps(to_safe_json(manifest), indent=2, ensure_ascii=False, allow_nan=False)
        _write_atomic(self._partial / MANIFEST_FILE, (text + "\n").encode())


def new_run_id() -> str:
    """A UTC timestamp, sortable, plus a random suffix so parallel runs never collide."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(2)}"


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z; a naive datetime is taken as local time."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def to_safe_json(value: object, *, key: str = "") -> object:
    """`value` as JSON-ready data in which no string can carry a credential.

    Every string passes through `redact_text`; whatever sits under a key that names a
    secret (password, token, ...) is replaced outright.
    """
    if key and looks_secret(key) and value not in ("", None) and not isinstance(value, bool):
        return REDACTED
    if isinstance(value, Mapping):
        return {redact_text(str(k)): to_safe_json(v, key=str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [to_safe_json(v, key=key) for v in items]
    return _safe_scalar(value)


def _safe_scalar(value: object) -> object:
    if isinstance(value, BaseModel):
        return to_safe_json(value.model_dump(mode="json"))
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, datetime):
        return iso_utc(value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        # JSON has no NaN or infinity; their text keeps the information readable.
        return value if math.isfinite(value) else str(value)
    return redact_text(str(value))


# -- samples ------------------------------------------------------------------------


def _trial_frame(run_id: str, trial: TrialRecord) -> pd.DataFrame:
    workload_hash = trial.workload.spec_hash()
    records = [_sample_record(run_id, trial, workload_hash, row) for row in trial.rows]
    return _typed_frame(records)


def _sample_record(
    run_id: str, trial: TrialRecord, workload_hash: str, row: IntervalRow
) -> dict[str, object]:
    errors = row.errors_transient + row.errors_fatal + row.errors_unsupported
    histogram = _histogram_text(row.histogram)
    stats = percentiles_us(decode(histogram)) if histogram else _NO_LATENCY
    return {
        "run_id": run_id,
        "trial": trial.trial,
        "repetition": trial.repetition,
        # Free text from a provisioner; it has no business holding a URL, but if it does,
        # the credential must not reach a file meant to be shared.
        "engine": redact_text(trial.engine),
        "engine_version": redact_text(trial.engine_version),
        "workload": trial.workload.name,
        "workload_hash": workload_hash,
        "phase": Phase(row.phase).value,
        "operation": str(row.operation),
        "latency_kind": LatencyKind(row.latency_kind).value,
        "interval": row.interval,
        "start_s": row.start_s,
        "duration_s": row.duration_s,
        "count": row.count,
        "not_found": row.not_found,
        "errors_transient": row.errors_transient,
        "errors_fatal": row.errors_fatal,
        "errors_unsupported": row.errors_unsupported,
        "errors": errors,
        "throughput_ops": row.count / row.duration_s if row.duration_s > 0 else math.nan,
        **stats,
        "histogram": histogram,
    }


def _histogram_text(value: object) -> str:
    # hdrh's encode() returns bytes; stored as str() they would turn into "b'...'" and
    # never decode again.
    if isinstance(value, bytes):
        return value.decode("ascii")
    if isinstance(value, str):
        return value
    raise TypeError(f"an encoded histogram is text, not {type(value).__name__}")


def _dtype(column: str) -> str:
    if column in _INT_COLUMNS:
        return "int64"
    if column in _FLOAT_COLUMNS:
        return "float64"
    return "str"


def _typed_frame(records: Sequence[Mapping[str, object]]) -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series([r[c] for r in records], dtype=_dtype(c)) for c in COLUMNS},
        columns=list(COLUMNS),
    )


def _enforce_types(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[list(COLUMNS)].astype({c: _dtype(c) for c in COLUMNS})


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    frame.to_parquet(tmp, index=False)
    _fsync_file(tmp)
    os.replace(tmp, path)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    # Makes the rename itself durable; some platforms cannot open a directory.
    with contextlib.suppress(OSError):
        _fsync_file(path)


# -- reading ------------------------------------------------------------------------


def load(path: Path | str | Sequence[Path | str]) -> pd.DataFrame:
    """The samples of one run, of every run in a results folder, or of a list of either.

    A partial run directory (`.<run_id>.partial`, left by a crash) can be named
    explicitly to read the trials it kept; folders are scanned for finished runs only.
    """
    given = [path] if isinstance(path, str | os.PathLike) else list(path)
    if not given:
        raise ValueError("load() needs at least one run directory or results folder")
    files: list[Path] = []
    seen: set[Path] = set()
    for item in given:
        for file in _sample_files(Path(item)):
            resolved = file.resolve()
            if resolved not in seen:
                seen.add(resolved)
                files.append(file)
    if not files:
        return _typed_frame([])
    return pd.concat([_read_samples(f) for f in files], ignore_index=True)


def _sample_files(path: Path) -> list[Path]:
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such run directory or results folder")
    if path.is_file():
        if path.suffix != ".parquet":
            raise ValueError(f"{path}: not a Parquet file, run directory or results folder")
        return [path]
    if (path / SAMPLES_FILE).is_file():
        return [path / SAMPLES_FILE]
    if (path / TRIALS_DIR).is_dir() and (path / MANIFEST_FILE).is_file():
        return sorted((path / TRIALS_DIR).glob("trial-*.parquet"))
    runs = sorted(
        child / SAMPLES_FILE
        for child in path.iterdir()
        if child.is_dir() and not child.name.startswith(".") and (child / SAMPLES_FILE).is_file()
    )
    if not runs:
        raise ValueError(
            f"{path}: neither a bakeoff run directory (no {SAMPLES_FILE}) nor a results "
            "folder holding any"
        )
    return runs


def _read_samples(file: Path) -> pd.DataFrame:
    frame = pd.read_parquet(file)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{file}: not bakeoff samples, missing columns {missing}")
    extra = [c for c in frame.columns if c not in COLUMNS]
    return frame[[*COLUMNS, *extra]]


def load_manifest(run_dir: Path | str) -> dict[str, object]:
    """The manifest of a run directory (or the manifest.json file itself)."""
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
