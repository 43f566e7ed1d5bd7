"""telemetry.parquet: a run's telemetry as one tidy table, kept the way samples are.

A row per (trial, phase, interval, source, metric): a counter's increase over the
interval or a gauge's level at its end, with its unit and kind (`bakeoff.core.telemetry`).
While the run is written, each trial's rows go to `telemetry/<trial file>` in the
partial directory and each phase's of the trial in flight to `telemetry/<phase file>`,
named like the samples' trial and journal files; finishing the run concatenates them
(a trial's phase files only while it has no trial file), exactly as for samples. A run
without telemetry (switched off, or written before it existed) has no telemetry.parquet,
and reads as an empty table.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from bakeoff.core.telemetry import TelemetryRow
from bakeoff.results.sample_records import write_samples
from bakeoff.results.schema import trial_file_name

TELEMETRY_FILE = "telemetry.parquet"
TELEMETRY_DIR = "telemetry"
"""Per-trial and per-phase telemetry files inside a partial run directory."""
IDENTITY = ("run_id", "trial", "repetition", "engine", "workload")
TELEMETRY_COLUMNS = (
    *IDENTITY,
    "phase",
    "interval",
    "start_s",
    "duration_s",
    "source",
    "metric",
    "value",
    "unit",
    "kind",
)
_TYPES = {
    "trial": "int64",
    "repetition": "int64",
    "interval": "int64",
    "start_s": "float64",
    "duration_s": "float64",
    "value": "float64",
}


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[list(TELEMETRY_COLUMNS)].astype(
        {c: _TYPES.get(c, "str") for c in TELEMETRY_COLUMNS}
    )


def telemetry_frame(trial: Mapping[str, object], rows: Iterable[TelemetryRow]) -> pd.DataFrame:
    """The rows of one trial (`trial` holds at least the IDENTITY columns' values)."""
    identity = {c: trial[c] for c in IDENTITY}
    records = [
        {
            **identity,
            "phase": row.phase,
            "interval": row.interval,
            "start_s": row.start_s,
            "duration_s": row.duration_s,
            "source": row.source,
            "metric": row.metric,
            "value": row.value,
            "unit": row.unit,
            "kind": row.kind.value,
        }
        for row in rows
    ]
    if not records:
        return empty_telemetry()
    return _typed(pd.DataFrame.from_records(records))


def empty_telemetry() -> pd.DataFrame:
    return _typed(pd.DataFrame({c: [] for c in TELEMETRY_COLUMNS}))


def write_telemetry(partial: Path, name: str, frame: pd.DataFrame) -> None:
    """Keep a trial's (`name` its trial file name) or a phase's rows, durably; nothing
    when there are none."""
    if frame.empty:
        return
    folder = partial / TELEMETRY_DIR
    folder.mkdir(exist_ok=True)
    write_samples(frame, folder / name)


def drop_phase_telemetry(partial: Path, trial: int, repetition: int) -> None:
    prefix = trial_file_name(trial, repetition).removesuffix(".parquet") + "-"
    for file in (partial / TELEMETRY_DIR).glob(f"{prefix}*.parquet"):
        with contextlib.suppress(OSError):
            file.unlink()


def telemetry_files(run_dir: Path) -> list[Path]:
    """telemetry.parquet, or a partial run's per-trial files and the phase files of a
    trial without one."""
    if (run_dir / TELEMETRY_FILE).is_file():
        return [run_dir / TELEMETRY_FILE]
    files = sorted((run_dir / TELEMETRY_DIR).glob("trial-*.parquet"))
    trials = {f.stem for f in files if f.stem.count("-") == 3}
    return [f for f in files if f.stem.count("-") == 3 or f.stem.rsplit("-", 2)[0] not in trials]


def read_telemetry(files: Sequence[Path]) -> pd.DataFrame:
    frames = [_typed(pd.read_parquet(file)) for file in files]
    return pd.concat(frames, ignore_index=True) if frames else empty_telemetry()


def finish_telemetry(partial: Path) -> None:
    """Concatenate the partial directory's telemetry into telemetry.parquet (when it has
    any) and drop the per-trial files."""
    files = telemetry_files(partial)
    if files and files != [partial / TELEMETRY_FILE]:
        write_samples(read_telemetry(files), partial / TELEMETRY_FILE)
    for file in (partial / TELEMETRY_DIR).glob("*.parquet"):
        file.unlink()
    with contextlib.suppress(OSError):
        (partial / TELEMETRY_DIR).rmdir()
