"""The trials of a sweep or a capacity search as points: one row per trial that finished
ok and carries a `point` (its swept parameters, in the manifest), with what was measured
there.

Throughput is `summarize()`'s TOTAL ops/s, the one per-trial figure that
`bakeoff.results.figures` takes the median of: successful operations over the measured
phase's wall time. Latencies are of response time when an open loop measured it, else
of service time. The engine's CPU per 1,000 operations and its memory come from the
trial's `load_generator.measure` (engine CPU over the phase, divided by the operations
it completed; memory at the phase's end).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from bakeoff.results.reader import OK, StoredRun
from bakeoff.results.summary import TOTAL, summarize
from bakeoff.results.usl import USL_COLUMNS

POINT_COLUMNS = (
    "run_id",
    "trial",
    "repetition",
    "engine",
    "workload",
    "series",
    "connections",
    "rate",
    "others",
    "open_loop",
    "throughput",
    "achieved_rate",
    "target_rate",
    "latency_kind",
    "p50_us",
    "p99_us",
    "error_rate",
    "engine_cpu_per_1k_ops",
    "engine_memory_bytes",
)
"""`series` names what is compared: the engine, with its workload when several were
swept and its other coordinates ("redis cpus=2"). `connections` and `rate` are the
point's (NaN when not swept); `others` the point's other coordinates as text ("cpus=2"),
"" when none; `open_loop` whether a target rate paced the trial. Missing figures are
NaN."""


def sweep_points(runs: Sequence[StoredRun], trials: pd.DataFrame) -> pd.DataFrame:
    """POINT_COLUMNS of the runs' ok trials with a point.

    `trials` are `summarize()` rows of those runs with a `latency_kind` column (as a
    report's `ReportData.trials`, or `trial_summaries`).
    """
    totals = trials[trials["operation"] == TOTAL]
    by_trial: dict[tuple[str, int], dict[str, Mapping[Any, Any]]] = {}
    for row in totals.to_dict("records"):
        key = (str(row["run_id"]), int(row["trial"]))
        by_trial.setdefault(key, {})[str(row["latency_kind"])] = row
    rows = []
    for run in runs:
        for entry in run.trials:
            point = entry.get("point")
            kinds = by_trial.get((run.run_id, int(entry["trial"])))
            if entry.get("status") != OK or not isinstance(point, Mapping) or not point:
                continue
            if kinds:
                rows.append(_point_row(run.run_id, entry, point, kinds))
    frame = pd.DataFrame(rows, columns=list(POINT_COLUMNS))
    several = frame["workload"].nunique() > 1
    frame["series"] = [
        " ".join(p for p in (engine, workload if several else "", others) if p)
        for engine, workload, others in zip(
            frame["engine"], frame["workload"], frame["others"], strict=True
        )
    ]
    return frame


def trial_summaries(samples: pd.DataFrame) -> pd.DataFrame:
    """`summarize()` of every latency kind in a samples frame, with `latency_kind`."""
    if samples.empty:
        return summarize(samples).assign(latency_kind=pd.Series(dtype=str))
    return pd.concat(
        [
            summarize(samples, latency_kind=str(kind)).assign(latency_kind=str(kind))
            for kind in samples["latency_kind"].unique()
        ],
        ignore_index=True,
    )


def run_points(run: StoredRun) -> pd.DataFrame:
    """`sweep_points` of one stored run, its samples read and summarised here."""
    return sweep_points([run], trial_summaries(run.samples()))


def usl_points(points: pd.DataFrame) -> pd.DataFrame:
    """USL_COLUMNS and `engine` of the closed-loop trials swept over connections: a paced trial's
    throughput is its target rate, not what the engine could do at that concurrency.

    Each series (each vertical size, say) gets its own fit.
    """
    chosen = points[(~points["open_loop"].astype(bool)) & points["connections"].notna()]
    frame = pd.DataFrame(
        {
            "series": chosen["series"].to_numpy(dtype=str),
            "connections": chosen["connections"].to_numpy(dtype=float),
            "repetition": chosen["repetition"].to_numpy(dtype=int),
            "throughput": chosen["throughput"].to_numpy(dtype=float),
            "engine": chosen["engine"].to_numpy(dtype=str),
        }
    )
    return frame[[*USL_COLUMNS, "engine"]]


def _point_row(
    run_id: str,
    entry: Mapping[str, Any],
    point: Mapping[str, Any],
    kinds: Mapping[str, Mapping[Any, Any]],
) -> dict[str, object]:
    generator = entry.get("load_generator")
    measure = generator.get("measure") if isinstance(generator, Mapping) else None
    measure = measure if isinstance(measure, Mapping) else {}
    kind = "response" if "response" in kinds else next(iter(kinds))
    total = kinds[kind]
    count, errors = int(total["count"]), int(total["errors"])
    target = _number(measure.get("target_ops_per_s"))
    others = " ".join(
        f"{name}={_number(value):g}"
        for name, value in point.items()
        if name not in ("connections", "rate")
    )
    return {
        "run_id": run_id,
        "trial": int(entry["trial"]),
        "repetition": int(entry.get("repetition") or 0),
        "engine": str(entry.get("engine")),
        "workload": str(entry.get("workload")),
        "series": "",
        "connections": _number(point.get("connections")),
        "rate": _number(point.get("rate")),
        "others": others,
        "open_loop": math.isfinite(target) or math.isfinite(_number(point.get("rate"))),
        "throughput": float(total["ops_per_s"]),
        "achieved_rate": _number(measure.get("achieved_ops_per_s")),
        "target_rate": target,
        "latency_kind": kind,
        "p50_us": float(total["p50_us"]),
        "p99_us": float(total["p99_us"]),
        "error_rate": errors / (count + errors) if count + errors else math.nan,
        "engine_cpu_per_1k_ops": _per_1k(measure),
        "engine_memory_bytes": _number(measure.get("engine_memory_bytes")),
    }


def _per_1k(measure: Mapping[str, Any]) -> float:
    cpu, operations = _number(measure.get("engine_cpu_s")), _number(measure.get("operations"))
    if not math.isfinite(cpu) or not math.isfinite(operations) or operations <= 0:
        return math.nan
    return cpu / operations * 1000.0


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value)
