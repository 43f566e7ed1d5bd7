"""`IntervalRow`s as rows of samples.parquet (the columns are in `bakeoff.results.schema`).

Used by the writer for a finished trial and by the journal for each phase of the trial
in flight, so both write exactly the same rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from bakeoff.core.files import fsync_directory, replace_atomically
from bakeoff.core.histogram import decode, percentiles_us
from bakeoff.core.measures import IntervalRow, LatencyKind, Phase
from bakeoff.core.secrets import redact_text
from bakeoff.results.schema import (
    COUNT_COLUMNS,
    LATENCY_COLUMNS,
    OK_OUTCOME,
    error_outcome,
    typed_frame,
)
from bakeoff.workloads.model import Workload

_NO_LATENCY = dict.fromkeys(LATENCY_COLUMNS, math.nan)
_ERROR_ROW_ZEROS = (*COUNT_COLUMNS, "errors")
"""An error row's counts: each operation is counted once, on its interval's "ok" row."""


def trial_columns(
    run_id: str,
    *,
    trial: int,
    repetition: int,
    engine: str,
    engine_version: str,
    workload: Workload,
) -> dict[str, object]:
    """The values of `TRIAL_COLUMNS` that start every row of one trial."""
    columns: dict[str, object] = {
        "run_id": run_id,
        "trial": trial,
        "repetition": repetition,
        # Free text from a provisioner; it has no business holding a URL, but if it does,
        # the credential must not reach a file meant to be shared.
        "engine": redact_text(engine),
        "engine_version": redact_text(engine_version),
        "workload": workload.name,
        "workload_hash": workload.spec_hash(),
    }
    return columns


def samples_frame(trial: Mapping[str, object], rows: Iterable[IntervalRow]) -> pd.DataFrame:
    """The rows of samples.parquet for `rows` of the trial `trial_columns` describes."""
    return typed_frame([record for row in rows for record in _sample_records(trial, row)])


def write_samples(frame: pd.DataFrame, path: Path) -> None:
    """Flushed to disk and renamed into place: durable once this returns."""
    replace_atomically(path, lambda tmp: frame.to_parquet(tmp, index=False))
    fsync_directory(path.parent)


def _sample_records(trial: Mapping[str, object], row: IntervalRow) -> list[dict[str, object]]:
    """The row's "ok" record, then an "error:<kind>" record per error kind (schema.py)."""
    ok = _sample_record(trial, row)
    errors = []
    for kind, encoded in row.error_histograms:
        histogram = _histogram_text(encoded)
        errors.append(
            {
                **ok,
                **dict.fromkeys(_ERROR_ROW_ZEROS, 0),
                "outcome": error_outcome(kind),
                "throughput_ops": 0.0,
                **_latency(histogram),
                "histogram": histogram,
            }
        )
    return [ok, *errors]


def _sample_record(trial: Mapping[str, object], row: IntervalRow) -> dict[str, object]:
    errors = row.errors_transient + row.errors_fatal + row.errors_unsupported
    histogram = _histogram_text(row.histogram)
    return {
        **trial,
        "phase": Phase(row.phase).value,
        "operation": str(row.operation),
        "latency_kind": LatencyKind(row.latency_kind).value,
        "outcome": OK_OUTCOME,
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
        **_latency(histogram),
        "histogram": histogram,
    }


def _latency(histogram: str) -> dict[str, float]:
    return percentiles_us(decode(histogram)) if histogram else _NO_LATENCY


def _histogram_text(value: object) -> str:
    # hdrh's encode() returns bytes; stored as str() they would turn into "b'...'" and
    # never decode again.
    if isinstance(value, bytes):
        return value.decode("ascii")
    if isinstance(value, str):
        return value
    raise TypeError(f"an encoded histogram is text, not {type(value).__name__}")
