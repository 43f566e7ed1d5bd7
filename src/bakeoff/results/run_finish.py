"""Finishing a run folder: the trial files joined into samples.parquet, the final
manifest, and the rename from its partial name (by the writer, or by recovery)."""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from bakeoff.core.files import fsync_directory
from bakeoff.results.sample_records import write_samples
from bakeoff.results.schema import (
    JOURNAL_DIR,
    SAMPLES_FILE,
    TRIALS_DIR,
    enforce_types,
    typed_frame,
)
from bakeoff.results.telemetry_store import finish_telemetry


class RunExistsError(FileExistsError):
    """A run directory with this id exists already; results are never overwritten."""


def move_into_place(
    partial: Path, final: Path, trial_files: Sequence[str], write_manifest: Callable[[], object]
) -> Path:
    """Concatenate the trial files into samples.parquet, write the final manifest, and
    rename the partial directory to `final`: how a run is finished, by its writer or by
    `bakeoff runs recover` (results/recovery.py)."""
    trials_dir = partial / TRIALS_DIR
    # A retry after a failed rename finds the trial files gone and samples written.
    if trials_dir.is_dir():
        write_samples(_samples(trials_dir, trial_files), partial / SAMPLES_FILE)
    finish_telemetry(partial)
    write_manifest()
    appeared = (
        f"{final} appeared while the run was being written; the complete run is kept in {partial}"
    )
    if final.exists():
        raise RunExistsError(appeared)
    # samples.parquet holds every trial now; readers prefer it over the trial files.
    shutil.rmtree(trials_dir, ignore_errors=True)
    shutil.rmtree(partial / JOURNAL_DIR, ignore_errors=True)
    try:
        # os.rename fails on a non-empty target; an empty directory created in the
        # instant since the check above would be replaced, which loses no result.
        os.rename(partial, final)
    except OSError as exc:
        if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
            raise RunExistsError(appeared) from exc
        raise
    fsync_directory(final.parent)
    return final


def _samples(trials_dir: Path, trial_files: Sequence[str]) -> pd.DataFrame:
    if not trial_files:
        return typed_frame([])
    frames = [pd.read_parquet(trials_dir / name) for name in trial_files]
    return enforce_types(pd.concat(frames, ignore_index=True))
