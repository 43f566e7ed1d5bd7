"""The names `bakeoff.results.store` used to hold, for callers not yet moved.

The store is written by `bakeoff.results.writer`, read by `bakeoff.results.reader`, and
laid out as `bakeoff.results.schema` says; import from those. This module goes once
nothing imports it.
"""

from bakeoff.results.reader import load, load_manifest
from bakeoff.results.safe_json import iso_utc, to_safe_json
from bakeoff.results.schema import (
    LATENCY_KINDS,
    MANIFEST_FILE,
    RUN_STATUSES,
    RUNNING,
    SAMPLES_FILE,
    SCHEMA_VERSION,
    TRIALS_DIR,
)
from bakeoff.results.writer import RunExistsError, RunWriter, new_run_id

__all__ = [
    "LATENCY_KINDS",
    "MANIFEST_FILE",
    "RUNNING",
    "RUN_STATUSES",
    "SAMPLES_FILE",
    "SCHEMA_VERSION",
    "TRIALS_DIR",
    "RunExistsError",
    "RunWriter",
    "iso_utc",
    "load",
    "load_manifest",
    "new_run_id",
    "to_safe_json",
]
