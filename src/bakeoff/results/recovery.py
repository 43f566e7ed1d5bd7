"""Finishing runs whose writer is gone: a process killed outright (SIGKILL, a power cut,
the OOM killer) leaves its run as a hidden `.<run_id>.partial` directory holding every
trial it finished and, in its journal, the phases it finished of the trial in flight.
`bakeoff runs recover` finds those directories and finishes each with status "killed"
(the trial in flight too, with the phases it kept), so `load()`, reports and the gate
read them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bakeoff.core.files import write_bytes_atomically
from bakeoff.results.journal import journalled_trials
from bakeoff.results.reader import load_manifest
from bakeoff.results.run_finish import move_into_place
from bakeoff.results.safe_json import iso_utc, to_safe_json
from bakeoff.results.sample_records import write_samples
from bakeoff.results.schema import KILLED, MANIFEST_FILE, RUNNING, TRIALS_DIR
from bakeoff.results.writer import RUN_ID, WRITER

_TRIAL_FILE = re.compile(r"^trial-(\d+)-rep-(\d+)\.parquet$")
"""As RunWriter names a trial's samples."""


@dataclass(frozen=True)
class UnfinishedRun:
    """A hidden `.<run_id>.partial` directory and what its manifest says of its writer."""

    path: Path
    manifest: dict[str, object]

    @property
    def writer(self) -> tuple[int, str] | None:
        """(pid, host) of the process that wrote it; None when no writer was recorded."""
        writer = self.manifest.get(WRITER)
        if not isinstance(writer, dict) or not isinstance(writer.get("pid"), int):
            return None
        return int(writer["pid"]), str(writer.get("host", ""))

    @property
    def started_at(self) -> float | None:
        try:
            return datetime.fromisoformat(str(self.manifest["started_at"])).timestamp()
        except (KeyError, ValueError):
            return None


def unfinished_runs(output_dir: Path) -> list[UnfinishedRun]:
    """The partial run directories directly in `output_dir`, oldest name first."""
    found = []
    for path in sorted(Path(output_dir).glob(".*.partial")):
        if path.is_dir() and (path / MANIFEST_FILE).is_file():
            found.append(UnfinishedRun(path, load_manifest(path)))
    return found


def finish_killed(run: UnfinishedRun) -> Path:
    """Finish a run whose writer is gone with status "killed", keeping every trial whose
    samples were written, and move it into place beside the partial directory.

    A trial file the manifest does not list yet (the writer died between the two
    writes) is kept as an interrupted trial; the phases journalled of the trial in
    flight become a trial with status killed. A run killed while finishing keeps the
    status it was finishing with.
    """
    partial, manifest = run.path, dict(run.manifest)
    run_id = str(manifest.get("run_id") or partial.name[1 : -len(".partial")])
    if not RUN_ID.match(run_id):
        raise ValueError(f"{partial}: its manifest names no valid run id ({run_id!r})")
    trials_dir = partial / TRIALS_DIR
    files = sorted(f.name for f in trials_dir.glob("trial-*.parquet"))
    for leftover in partial.rglob(".*.tmp"):  # a write the kill cut short
        leftover.unlink()
    if manifest.get("status") == RUNNING:
        trials = [t for t in _list(manifest.get("trials")) if isinstance(t, dict)]
        listed = {(t.get("trial"), t.get("repetition")) for t in trials}
        last_write = max(f.stat().st_mtime for f in [partial, *partial.rglob("*")])
        for journalled in journalled_trials(partial, set(files)):
            write_samples(journalled.samples, trials_dir / journalled.file_name)
            files.append(journalled.file_name)
            trials.append(journalled.manifest_entry())
            listed.add((journalled.trial, journalled.repetition))
        for name in sorted(files):
            match = _TRIAL_FILE.match(name)
            key = (int(match[1]), int(match[2])) if match else None
            if key is not None and key not in listed:
                trials.append(
                    {
                        "trial": key[0],
                        "repetition": key[1],
                        "status": "interrupted",
                        "error": "the run was killed before this trial was recorded",
                    }
                )
        manifest.update(
            status=KILLED,
            trials=trials,
            ended_at=iso_utc(datetime.fromtimestamp(last_write, UTC)),
            recovered_at=iso_utc(datetime.now(UTC)),
        )
    manifest.pop(WRITER, None)
    text = json.dumps(to_safe_json(manifest), indent=2, ensure_ascii=False, allow_nan=False)
    return move_into_place(
        partial,
        partial.parent / run_id,
        sorted(files),
        lambda: write_bytes_atomically(partial / MANIFEST_FILE, (text + "\n").encode()),
    )


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []
