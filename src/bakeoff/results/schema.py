"""What a run directory holds: samples.parquet in the one tidy result schema, and
manifest.json describing the run.

samples.parquet has a row per (run, trial, engine, workload, phase, operation, latency
kind, outcome, interval), with the encoded HdrHistogram so any percentile can be
recomputed. The harness produces `bakeoff.core.measures.IntervalRow`s; the writer turns
them into these columns.

`outcome` says whose latencies a row's histogram holds. The "ok" row of an interval
holds the successful operations, and every count of the interval: count, not_found
(whose latencies are kept nowhere) and errors_<kind>. An "error:<kind>" row (one per
error kind that occurred in the interval) holds the latencies of the operations that
ended in that kind of error, and all its counts are 0, so that summing a count column
over all rows counts each operation once. Percentiles of successes come from "ok" rows
only (`success_rows`); a run written before the column existed has only "ok" rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from bakeoff.harness.trial import STATUSES

SCHEMA_VERSION = 1
SAMPLES_FILE = "samples.parquet"
MANIFEST_FILE = "manifest.json"
PLANS_FILE = "plans.json"
"""The query plans of the run's trials (`bakeoff.results.query_plans`), beside the manifest."""
TRIALS_DIR = "trials"
"""Per-trial Parquet files inside a partial run directory (removed by `finish`)."""
JOURNAL_DIR = "journal"
"""Per-phase Parquet files of the trial in flight inside a partial run directory: each
phase's rows are durable the moment it ends, and go once the whole trial is written."""


def trial_file_name(trial: int, repetition: int) -> str:
    """The name of a trial's samples in TRIALS_DIR (its phases' in JOURNAL_DIR start so)."""
    return f"trial-{trial:05d}-rep-{repetition:03d}.parquet"


KILLED = "killed"
RUN_STATUSES = STATUSES | {"partial", KILLED}
"""What a finished run may end as: "partial" when some trials failed and others did not,
"killed" when `bakeoff runs recover` finished it for a process killed outright. An
unfinished run's manifest says "running"."""
RUNNING = "running"

OK_OUTCOME = "ok"
ERROR_OUTCOME_PREFIX = "error:"
"""An error row's outcome is this followed by the error kind ("error:transient")."""


def error_outcome(kind: str) -> str:
    return f"{ERROR_OUTCOME_PREFIX}{kind}"


def success_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows whose histograms hold successful operations (and every count)."""
    return frame[frame["outcome"] == OK_OUTCOME]


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
    "outcome",
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
