"""Machine-readable exports of a report: the summary as CSV, and the results in
pytest-benchmark's JSON layout so dashboards that chart pytest-benchmark files
(`pytest-benchmark compare`, CI benchmark actions) chart bakeoff results unchanged.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from bakeoff import __version__
from bakeoff.report.views import (
    KindReport,
    LatencyDistribution,
    ReportData,
    SummaryRow,
    WorkloadReport,
)
from bakeoff.results.figures import FIGURE_COLUMNS

CSV_COLUMNS = (
    "workload",
    "workload_hash",
    "latency_kind",
    "operation",
    "engine",
    "engine_versions",
    *(
        c
        for c in FIGURE_COLUMNS
        if c not in ("workload", "workload_hash", "latency_kind", "operation", "engine")
    ),
)
"""One row per workload × latency kind × operation × engine: `figures()`'s columns as the
summary tables show them (µs, ops/s), with the engine's versions; `workload` is the
report's label for it."""

PYTEST_BENCHMARK_VERSION = "5.1.0"
"""The pytest-benchmark release whose JSON layout the export follows (the same layout
4.x and 5.x read)."""


def _rows(report: ReportData) -> Iterator[tuple[WorkloadReport, KindReport, SummaryRow]]:
    """Every row of `figures()`, TOTAL included even where a table shows one operation."""
    workloads = {w.hash: w for w in report.workloads}
    for record in report.figures.to_dict("records"):
        workload = workloads[str(record["workload_hash"])]
        kind = next(k for k in workload.kinds if k.kind == record["latency_kind"])
        yield workload, kind, SummaryRow.from_record(record)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        return repr(float(value)) if math.isfinite(value) else ""
    return str(value)


def write_csv(report: ReportData, path: Path) -> Path:
    versions = {e.engine: "; ".join(e.versions) for e in report.engines}
    labels = {w.hash: w.label for w in report.workloads}
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        for record in report.figures.to_dict("records"):
            record["workload"] = labels.get(str(record["workload_hash"]), record["workload"])
            record["engine_versions"] = versions.get(str(record["engine"]), "")
            writer.writerow([_text(record[column]) for column in CSV_COLUMNS])
    return path


# -- pytest-benchmark ----------------------------------------------------------------


def benchmark_document(report: ReportData) -> dict[str, object]:
    """The pytest-benchmark JSON document: one benchmark per workload × latency kind ×
    engine × operation (TOTAL included), times in seconds.

    The statistics describe one call's latency, from the merged histogram of all
    trials, as pytest-benchmark's describe one round. `rounds` is the number of
    operations measured. `ops` deviates on purpose: it is the measured throughput
    (`figures()`' ops/s), which with several connections is not 1 / mean. The latency
    statistics are the same pooled figures as the summary tables'.
    """
    versions = {e.engine: "; ".join(e.versions) for e in report.engines}
    benchmarks = []
    for workload, kind, row in _rows(report):
        dist = kind.distributions.get((row.engine, row.operation))
        if dist is None or dist.count == 0:
            continue
        suffix = "" if kind.kind == "service" else f"::{kind.kind}"
        benchmarks.append(
            {
                "group": f"{workload.label} {row.operation}"
                + ("" if kind.kind == "service" else f" ({kind.kind} time)"),
                "name": f"{row.operation}{suffix}[{row.engine}]",
                "fullname": f"{workload.label}::{row.operation}{suffix}[{row.engine}]",
                "params": {
                    "engine": row.engine,
                    "workload": workload.label,
                    "operation": row.operation,
                    "latency_kind": kind.kind,
                },
                "param": row.engine,
                "extra_info": {
                    "engine_version": versions.get(row.engine, ""),
                    "workload_hash": workload.hash,
                    "latency_kind": kind.kind,
                    "trials": row.trials,
                    "ops_per_s": _finite(row.ops_per_s),
                    "ops_per_s_spread": (
                        [_finite(row.ops_low), _finite(row.ops_high)] if row.has_spread else None
                    ),
                    "ops_per_s_spread_is": row.ops_spread,
                    "ops_cv": _finite(row.ops_cv),
                    "share": _finite(row.share),
                    "checks": list(row.flags()),
                    "p99_s": _finite(dist.summary_us()["p99_us"] / 1e6),
                    "p999_s": _finite(dist.summary_us()["p999_us"] / 1e6),
                    "errors": row.errors,
                    "not_found": row.not_found,
                },
                "options": {"timer": "bakeoff (monotonic ns, HdrHistogram)"},
                "stats": _stats(dist, row),
            }
        )
    return {
        "machine_info": _machine_info(report),
        "commit_info": _commit_info(report),
        "benchmarks": benchmarks,
        "datetime": _latest(report),
        "version": PYTEST_BENCHMARK_VERSION,
        "bakeoff": {"version": __version__, "runs": [r.run_id for r in report.runs]},
    }


def write_benchmark_json(report: ReportData, path: Path) -> Path:
    text = json.dumps(benchmark_document(report), indent=2, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _stats(dist: LatencyDistribution, row: SummaryRow) -> dict[str, object]:
    summary = dist.summary_us()
    q1_us, median_us, q3_us = (float(v) for v in dist.percentiles_us([25.0, 50.0, 75.0]))
    iqr_us = q3_us - q1_us
    mean_us = summary["mean_us"]
    stddev_us = dist.stddev_us()
    iqr_outliers = dist.count_outside(q1_us - 1.5 * iqr_us, q3_us + 1.5 * iqr_us)
    stddev_outliers = dist.count_outside(mean_us - stddev_us, mean_us + stddev_us)
    seconds = 1e-6
    return {
        "min": dist.min_us() * seconds,
        "max": summary["max_us"] * seconds,
        "mean": mean_us * seconds,
        "stddev": stddev_us * seconds,
        "rounds": dist.count,
        "median": median_us * seconds,
        "iqr": iqr_us * seconds,
        "q1": q1_us * seconds,
        "q3": q3_us * seconds,
        "iqr_outliers": iqr_outliers,
        "stddev_outliers": stddev_outliers,
        "outliers": f"{stddev_outliers};{iqr_outliers}",
        "ld15iqr": dist.lowest_at_or_above_us(q1_us - 1.5 * iqr_us) * seconds,
        "hd15iqr": dist.highest_at_or_below_us(q3_us + 1.5 * iqr_us) * seconds,
        "ops": _finite(row.ops_per_s) or 0.0,
        "total": mean_us * dist.count * seconds,
        "iterations": 1,
    }


def _machine_info(report: ReportData) -> dict[str, object]:
    host = report.runs[0].host if report.runs else {}
    cpu = str(host.get("cpu_model") or "")
    python = str(host.get("python") or "")
    return {
        "node": "",
        "processor": cpu,
        "machine": str(host.get("machine") or ""),
        "python_compiler": "",
        "python_implementation": str(host.get("python_implementation") or ""),
        "python_implementation_version": python,
        "python_version": python,
        "python_build": [],
        "release": str(host.get("kernel") or ""),
        "system": str(host.get("os") or ""),
        "cpu": {
            "brand_raw": cpu,
            "count": host.get("logical_cores"),
            "arch": str(host.get("machine") or ""),
        },
    }


def _commit_info(report: ReportData) -> dict[str, object]:
    latest = report.runs[-1] if report.runs else None
    return {
        "id": (latest.git_sha if latest and latest.git_sha else "unversioned"),
        "time": None,
        "author_time": None,
        "dirty": bool(latest and latest.dirty),
        "project": "bakeoff",
        "branch": "(unknown)",
    }


def _latest(report: ReportData) -> str:
    moments = [r.ended_at or r.started_at for r in report.runs]
    return max((m for m in moments if m), default="")
