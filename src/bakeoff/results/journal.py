"""The journal of the trial in flight: each phase's rows, durable the moment it ends.

`RunWriter.add_phase` writes a phase to `<partial>/journal/` (flushed to disk, renamed
into place); `add_trial` writes the whole trial to `trials/` and then drops its phases
here. So after a SIGKILL the journal holds the finished phases of the one trial that
was in flight, and `bakeoff runs recover` makes a trial of them (status killed).
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bakeoff.core.measures import Phase
from bakeoff.harness.trial import PhaseRecord
from bakeoff.results.sample_records import samples_frame, trial_columns, write_samples
from bakeoff.results.schema import JOURNAL_DIR, KILLED, enforce_types, trial_file_name
from bakeoff.results.telemetry_store import telemetry_frame, write_telemetry

_PHASE_ORDER = {phase: i for i, phase in enumerate(Phase)}
_PHASE_FILE = re.compile(r"^trial-(\d+)-rep-(\d+)-(\d)-([a-z]+)\.parquet$")


def phase_file_name(trial: int, repetition: int, phase: Phase) -> str:
    stem = trial_file_name(trial, repetition).removesuffix(".parquet")
    return f"{stem}-{_PHASE_ORDER[phase]}-{phase.value}.parquet"


def write_phase(partial: Path, run_id: str, record: PhaseRecord) -> None:
    """Make one phase of the trial in flight durable in `partial`'s journal."""
    from_trial = trial_columns(
        run_id,
        trial=record.trial,
        repetition=record.repetition,
        engine=record.engine,
        engine_version=record.engine_version,
        workload=record.workload,
    )
    folder = partial / JOURNAL_DIR
    folder.mkdir(exist_ok=True)
    name = phase_file_name(record.trial, record.repetition, record.phase)
    write_samples(samples_frame(from_trial, record.rows), folder / name)
    write_telemetry(partial, name, telemetry_frame(from_trial, record.telemetry))


def drop_phases(partial: Path, trial: int, repetition: int) -> None:
    """Forget the journal of a trial now written whole (a leftover is harmless: recovery
    ignores the journal of a trial whose samples are in trials/)."""
    prefix = trial_file_name(trial, repetition).removesuffix(".parquet") + "-"
    for file in (partial / JOURNAL_DIR).glob(f"{prefix}*.parquet"):
        with contextlib.suppress(OSError):
            file.unlink()


@dataclass(frozen=True)
class JournalledTrial:
    """The phases a killed process had finished of its trial in flight."""

    trial: int
    repetition: int
    phases: tuple[str, ...]
    samples: pd.DataFrame

    @property
    def file_name(self) -> str:
        return trial_file_name(self.trial, self.repetition)

    def manifest_entry(self) -> dict[str, object]:
        """What the manifest says of it: its identity from its rows, status killed."""
        first: dict[str, object] = (
            {str(k): v for k, v in self.samples.iloc[0].items()} if not self.samples.empty else {}
        )
        kept = ", ".join(self.phases) or "no phase"
        return {
            "trial": self.trial,
            "repetition": self.repetition,
            "engine": str(first.get("engine", "unknown")),
            "engine_version": str(first.get("engine_version", "unknown")),
            "workload": str(first.get("workload", "unknown")),
            "workload_hash": str(first.get("workload_hash", "")),
            "status": KILLED,  # its process was killed in it
            "error": f"the run was killed during this trial; the phases it had finished "
            f"are kept ({kept})",
            "rows": len(self.samples),
        }


def journalled_trials(partial: Path, written: set[str]) -> list[JournalledTrial]:
    """The trials with phases in `partial`'s journal but no samples among `written`
    (names of trials/ files), each phase's rows in phase order."""
    by_trial: dict[tuple[int, int], list[tuple[int, str, Path]]] = {}
    for file in sorted((partial / JOURNAL_DIR).glob("trial-*.parquet")):
        match = _PHASE_FILE.match(file.name)
        if match is None:
            continue
        key = (int(match[1]), int(match[2]))
        if trial_file_name(*key) in written:
            continue
        by_trial.setdefault(key, []).append((int(match[3]), match[4], file))
    found = []
    for (trial, repetition), phases in sorted(by_trial.items()):
        phases.sort()
        frames = [pd.read_parquet(file) for _, _, file in phases]
        found.append(
            JournalledTrial(
                trial=trial,
                repetition=repetition,
                phases=tuple(name for _, name, _ in phases),
                samples=enforce_types(pd.concat(frames, ignore_index=True)),
            )
        )
    return found
