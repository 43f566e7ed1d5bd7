"""The one tidy result schema: a row per (run, trial, engine, workload, phase, operation,
latency kind, interval), with the encoded HdrHistogram so any percentile can be recomputed.

The harness produces `bakeoff.core.measures.IntervalRow`s; the store turns them into these
columns.
"""

from __future__ import annotations

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
ROW_COLUMNS = (
    "phase",
    "operation",
    "latency_kind",
    "interval",
    "start_s",
    "duration_s",
    "count",
    "not_found",
    "errors_transient",
    "errors_fatal",
    "errors_unsupported",
    "errors",
    "throughput_ops",
    "mean_us",
    "p50_us",
    "p90_us",
    "p99_us",
    "p999_us",
    "max_us",
    "histogram",
)
COLUMNS = TRIAL_COLUMNS + ROW_COLUMNS
