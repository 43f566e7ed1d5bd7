"""What a run directory holds: samples.parquet in the one tidy result schema, and
manifest.json describing the run.

samples.parquet has a row per (run, trial, engine, workload, phase, operation, latency
kind, interval), with the encoded HdrHistogram so any percentile can be recomputed. The
harness produces `bakeoff.core.measures.IntervalRow`s; the writer turns them into these
columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from bakeoff.harness.trial import STATUSES

SCHEMA_VERSION = 1
SAMPLES_FILE = "samples.parquet"
MANIFEST_FILE = "manifest.json"
TRIALS_DIR = "trials"
"""Per-trial Parquet files inside a partial run directory (removed by `finish`)."""

KILLED = "killed"
RUN_STATUSES = STATUSES | {"partial", KILLED}
"""What a finished run may end as: "partial" when some trials failed and others did not,
"killed" when `bakeoff runs recover` finished it for a process killed outright. An
unfinished run's manifest says "running"."""
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

# Column order of samples.parquet. Percentile columns are µs; throughput is ops/s.
TRIAL_COLUMNS = (
    "run_id",
    "trial",
    "repetition",
    "engine",
    "engine_version",
    "workload",
    "workload_hash",
)
"""What identifies a trial (and starts every row of samples and of summaries)."""
LATENCY_COLUMNS = ("mean_us", "p50_us", "p90_us", "p99_us", "p999_us", "max_us")
"""A histogram's summary, as `bakeoff.core.histogram.percentiles_us` names it."""
COUNT_COLUMNS = ("count", "not_found", "errors_transient", "errors_fatal", "errors_unsupported")
ROW_COLUMNS = (
    "phase",
    "operation",
    "latency_kind",
    "interval",
    "start_s",
    "duration_s",
    *COUNT_COLUMNS,
    "errors",
    "throughput_ops",
    *LATENCY_COLUMNS,
    "histogram",
)
COLUMNS = TRIAL_COLUMNS + ROW_COLUMNS

INT_COLUMNS = frozenset({"trial", "repetition", "interval", *COUNT_COLUMNS, "errors"})
FLOAT_COLUMNS = frozenset({"start_s", "duration_s", "throughput_ops", *LATENCY_COLUMNS})


def dtype(column: str) -> str:
    if column in INT_COLUMNS:
        return "int64"
    if column in FLOAT_COLUMNS:
        return "float64"
    return "str"


def typed_frame(records: Sequence[Mapping[str, object]]) -> pd.DataFrame:
    """Sample records as a frame with the schema's columns and types."""
    return pd.DataFrame(
        {c: pd.Series([r[c] for r in records], dtype=dtype(c)) for c in COLUMNS},
        columns=list(COLUMNS),
    )


def enforce_types(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[list(COLUMNS)].astype({c: dtype(c) for c in COLUMNS})
