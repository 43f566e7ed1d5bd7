"""Writing a run into the result store: one directory per run holding samples.parquet
and manifest.json (the layout is in `bakeoff.results.schema`).

A run is written into a hidden `.<run_id>.partial/` directory next to its final place:
each phase of a trial is persisted the moment it ends (`bakeoff.results.journal`) and
each trial the moment the runner hands it over, so a crash or Ctrl-C keeps everything
measured so far and a SIGKILL all but the phase in flight; `finish()` concatenates the
trials and renames the directory into place, which readers therefore see either
complete or not at all.

A write that fails (a full, read-only or failing disk) raises RunWriteError saying what
was lost: a trial that cannot be written is left out and the run finished as failed
with the trials before it, or, when even that cannot be written, left in its partial
directory, which the reader reads. The output folder is checked before a run starts.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import tempfile
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType

from bakeoff.core.files import (
    write_bytes_atomically,
)
from bakeoff.core.secrets import redact_argv, redact_url
from bakeoff.harness.trial import PhaseRecord, TrialRecord
from bakeoff.results.availability import fault_entries
from bakeoff.results.journal import drop_phases, write_phase
from bakeoff.results.provenance import bakeoff_provenance, driver_versions, host_info
from bakeoff.results.query_plans import plans_entry, write_plans
from bakeoff.results.reader import is_run
from bakeoff.results.run_finish import RunExistsError, move_into_place
from bakeoff.results.safe_json import iso_utc, to_safe_json
from bakeoff.results.sample_records import samples_frame, trial_columns, write_samples
from bakeoff.results.schema import (
    LATENCY_KINDS,
    MANIFEST_FILE,
    RUN_STATUSES,
    RUNNING,
    SCHEMA_VERSION,
    TRIALS_DIR,
    trial_file_name,
)
from bakeoff.results.telemetry_store import (
    TELEMETRY_DIR,
    drop_phase_telemetry,
    telemetry_frame,
    write_telemetry,
)
from bakeoff.workloads.model import Workload

RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_NO_OPTIONS: Mapping[str, object] = MappingProxyType({})
WRITER = "writer"
"""The manifest key naming the process writing an unfinished run (pid and host), for
`bakeoff runs recover` to tell a run still being written from one whose writer is gone."""


_OWN_KEYS = frozenset(
    {"schema_version", "run_id", "status", "command", "options", "started_at", "ended_at"}
    | {"bakeoff", "host", "drivers", "workloads", "trials", "latency_kinds", WRITER}
)
"""Manifest keys the writer itself fills, which no section may replace."""


class OutputFolderError(ValueError):
    """The folder named to receive runs cannot: it is a file, a run, or not writable."""


class RunWriteError(Exception):
    """Results could not be written (a full, read-only or failing disk). The message says
    what was lost and where everything written before it is kept."""


def check_output_folder(folder: Path | str) -> Path:
    """The folder that receives runs, created and proven writable before anything starts.

    An empty name is refused rather than read as the current folder, and so is a run
    directory, which would end up holding a run inside a run.
    """
    if not str(folder):
        raise OutputFolderError(
            "--output is empty: name the folder that receives runs (. for this one)"
        )
    path = Path(folder)
    if path.exists() and not path.is_dir():
        raise OutputFolderError(f"{path}: is a file, not a folder to hold runs")
    if path.is_dir() and is_run(path):
        raise OutputFolderError(
            f"{path}: is a run directory; name the folder that holds runs, such as {path.parent}"
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path, prefix=".bakeoff-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputFolderError(f"{path}: cannot write there ({_reason(exc)})") from None
    return path


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


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
        if not RUN_ID.match(self._run_id):
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
        self._plans: list[dict[str, object]] = []
        self._workloads: dict[str, dict[str, object]] = {}
        self._sections: dict[str, object] = {}
        self._lock = threading.Lock()
        self._finished: Path | None = None

        check_output_folder(output_dir)
        if self._final.exists():
            raise RunExistsError(f"{self._final}: a run with id {self._run_id!r} exists already")
        try:
            self._partial.mkdir()
        except FileExistsError:
            raise RunExistsError(
                f"{self._partial}: an unfinished run with id {self._run_id!r} is there "
                "(a crashed or concurrent run); move it away or choose another run id"
            ) from None
        try:
            (self._partial / TRIALS_DIR).mkdir()
            self._write_manifest(RUNNING, ended_at=None)
        except OSError as exc:
            shutil.rmtree(self._partial, ignore_errors=True)
            raise RunWriteError(f"{self._partial}: cannot start the run ({_reason(exc)})") from exc

    @property
    def run_id(self) -> str:
        return self._run_id

    @property
    def path_final(self) -> Path:
        return self._final

    @property
    def path_partial(self) -> Path:
        return self._partial

    def add_phase(self, phase: PhaseRecord) -> None:
        """Persist one phase of the trial in flight now (durable when this returns)."""
        with self._lock:
            if self._finished is not None:
                raise RuntimeError(f"run {self._run_id} is finished; no phase can be added")
            try:
                write_phase(self._partial, self._run_id, phase)
            except OSError as exc:
                raise RunWriteError(
                    f"the {phase.phase.value} phase of trial {phase.trial} could not be "
                    f"written ({_reason(exc)}); the {len(self._trial_files)} trials before "
                    f"it are kept in {self._partial}"
                ) from exc

    def add_trial(self, trial: TrialRecord) -> None:
        """Persist one trial now (its samples and its manifest entry); its phases kept by
        `add_phase` are dropped once it is written."""
        with self._lock:
            if self._finished is not None:
                raise RuntimeError(f"run {self._run_id} is finished; no trial can be added")
            name = trial_file_name(trial.trial, trial.repetition)
            if name in self._trial_files:
                raise ValueError(
                    f"trial {trial.trial} repetition {trial.repetition} was added already"
                )
            columns = trial_columns(
                self._run_id,
                trial=trial.trial,
                repetition=trial.repetition,
                engine=trial.engine,
                engine_version=trial.engine_version,
                workload=trial.workload,
            )
            frame = samples_frame(columns, trial.rows)
            written = self._partial / TRIALS_DIR / name
            try:
                write_samples(frame, written)
                write_telemetry(self._partial, name, telemetry_frame(columns, trial.telemetry))
                self._trial_files.append(name)
                self._trials.append(self._trial_entry(trial))
                if trial.plans:
                    plans = [*self._plans, plans_entry(trial, trial.workload.spec_hash())]
                    write_plans(self._partial, plans)
                    self._plans = plans
                self._write_manifest(RUNNING, ended_at=None)
            except OSError as exc:
                raise self._trial_lost(trial, name, exc) from exc
            drop_phases(self._partial, trial.trial, trial.repetition)
            drop_phase_telemetry(self._partial, trial.trial, trial.repetition)

    def set_section(self, name: str, value: Mapping[str, object]) -> None:
        """Keep a top-level manifest section a command adds beside the trials (`capacity`:
        `bakeoff capacity`'s search), written now and at every write after."""
        if name in _OWN_KEYS:
            raise ValueError(f"{name!r} is the manifest's own key")
        with self._lock:
            if self._finished is not None:
                raise RuntimeError(f"run {self._run_id} is finished; no section can be set")
            self._sections[name] = dict(value)
            try:
                self._write_manifest(RUNNING, ended_at=None)
            except OSError as exc:
                raise RunWriteError(
                    f"the manifest's {name} section could not be written ({_reason(exc)}); "
                    f"the {len(self._trial_files)} trials are kept in {self._partial}"
                ) from exc

    def _trial_lost(self, trial: TrialRecord, name: str, exc: OSError) -> RunWriteError:
        """Forget the trial that could not be written, and finish the run with the trials
        written before it (status failed) if the disk still lets us."""
        if name in self._trial_files:  # its samples were written, its manifest entry not
            self._trial_files.remove(name)
            self._trials.pop()
            with contextlib.suppress(OSError):
                (self._partial / TRIALS_DIR / name).unlink()
            with contextlib.suppress(OSError):
                (self._partial / TELEMETRY_DIR / name).unlink()
        kept = f"{len(self._trial_files)} trials written before it"
        try:
            where = f"the run ended as failed with the {kept}, in {self._finish('failed')}"
        except (OSError, RunWriteError):
            where = f"the {kept} are kept in {self._partial}"
        return RunWriteError(
            f"trial {trial.trial} ({trial.engine} / {trial.workload.name}, repetition "
            f"{trial.repetition}) could not be written ({_reason(exc)}); {where}"
        )

    def finish(self, status: str) -> Path:
        """Write samples.parquet and the final manifest, then move the run into place."""
        with self._lock:
            return self._finish(status)

    def _finish(self, status: str) -> Path:
        """`finish` under the lock already held."""
        if self._finished is not None:
            return self._finished
        if status not in RUN_STATUSES:
            raise ValueError(f"run status {status!r} is not one of {sorted(RUN_STATUSES)}")
        try:
            self._finished = move_into_place(
                self._partial,
                self._final,
                self._trial_files,
                lambda: self._write_manifest(status, ended_at=datetime.now(UTC)),
            )
        except RunExistsError:
            raise
        except OSError as exc:
            raise RunWriteError(
                f"the run could not be finished ({_reason(exc)}); its "
                f"{len(self._trial_files)} trials are kept in {self._partial}"
            ) from exc
        return self._finished

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
            "connections": trial.connections,
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
            **({"point": dict(trial.point)} if trial.point else {}),
            **({"data_model": dict(trial.data_model)} if trial.data_model else {}),
            **(fault_entries(trial) if trial.faults else {}),
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
            **self._sections,
        }
        if status == RUNNING:
            # Who is writing: `bakeoff runs recover` finishes the run once it is gone.
            manifest[WRITER] = {"pid": os.getpid(), "host": socket.gethostname()}
        text = json.dumps(to_safe_json(manifest), indent=2, ensure_ascii=False, allow_nan=False)
        write_bytes_atomically(self._partial / MANIFEST_FILE, (text + "\n").encode())


def new_run_id() -> str:
    """A UTC timestamp, sortable, plus a random suffix so parallel runs never collide."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(2)}"
