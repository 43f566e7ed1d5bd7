"""How long the operations that failed took: per trial, operation and error kind, from
the "error:<kind>" rows of the samples (see `bakeoff.results.schema`).

`summarize()` keeps to successful operations; this is the other half. A stall that ended
in a timeout (a paused or overloaded engine) shows here as the latency of its errors.
Percentiles come from the exact merge of the interval histograms, as in `summarize()`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from bakeoff.core.histogram import merge_encoded, percentiles_us
from bakeoff.core.measures import LatencyKind, Phase
from bakeoff.results.reader import DamagedRunError, sample_files
from bakeoff.results.schema import (
    COLUMNS,
    ERROR_OUTCOME_PREFIX,
    LATENCY_COLUMNS,
    TRIAL_COLUMNS,
    enforce_types,
)

ERROR_LATENCY_COLUMNS = (
    *TRIAL_COLUMNS,
    "operation",
    "error_kind",
    "errors",
    *LATENCY_COLUMNS,
)
"""Columns of `summarize_errors`: `errors` is how many operations ended in that kind of
error (the operations its latency columns describe)."""


def error_rows(samples: pd.DataFrame) -> pd.DataFrame:
    """The rows holding the latencies of failed operations."""
    return samples[samples["outcome"].str.startswith(ERROR_OUTCOME_PREFIX)]


def summarize_errors(
    samples: pd.DataFrame, *, phase: str = "measure", latency_kind: str = "service"
) -> pd.DataFrame:
    """Per trial, operation and error kind: how many failed and how long they took.

    Empty (with the columns) when no operation of the phase ended in an error.
    """
    phase_value = Phase(phase).value
    kind_value = LatencyKind(latency_kind).value
    missing = [c for c in COLUMNS if c not in samples.columns]
    if missing:
        raise ValueError(f"not a bakeoff samples frame: missing columns {missing}")
    failed = error_rows(samples)
    failed = failed[(failed["phase"] == phase_value) & (failed["latency_kind"] == kind_value)]
    rows: list[dict[str, object]] = []
    keys = [*TRIAL_COLUMNS, "operation", "outcome"]
    for key, group in failed.groupby(keys, sort=True, dropna=False):
        values = dict(zip(keys, key, strict=True))
        outcome = str(values.pop("outcome"))
        rows.append(
            {
                **values,
                "error_kind": outcome.removeprefix(ERROR_OUTCOME_PREFIX),
                **_latency(group["histogram"]),
            }
        )
    frame = pd.DataFrame(rows, columns=list(ERROR_LATENCY_COLUMNS))
    return frame.astype({"trial": "int64", "repetition": "int64", "errors": "int64"})


def _latency(encoded: Iterable[str]) -> dict[str, object]:
    merged = merge_encoded(e for e in encoded if e)
    return {"errors": int(merged.get_total_count()), **percentiles_us(merged)}


def read_error_rows(run_dir: Path) -> pd.DataFrame:
    """The error rows of one run directory, reading only those rows from its files (a
    run written before failed operations kept their latency has none)."""
    frames = []
    for file in sample_files(run_dir):
        try:
            if "outcome" not in pq.read_schema(file).names:
                continue
            table = pq.read_table(file, filters=[("outcome", "!=", "ok")], columns=list(COLUMNS))
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise DamagedRunError(file, f"not a readable Parquet file ({exc})") from None
        frames.append(table.to_pandas())
    if not frames:
        return enforce_types(pd.DataFrame(columns=list(COLUMNS)))
    return enforce_types(pd.concat(frames, ignore_index=True))
