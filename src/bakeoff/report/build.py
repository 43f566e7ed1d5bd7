"""Building a report from the result store: the one way from stored runs to `ReportData`.

A report is rebuilt from Parquet and manifests, never from a live run, so an old run
renders exactly as a new one. Numbers follow `summarize()`: one value per trial; across
repetitions a table shows the median with a bootstrap confidence interval.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from bakeoff.core.formats import as_text
from bakeoff.report.collect import collect
from bakeoff.report.manifests import (
    TrialInfo,
    engine_setup,
    excluded_trials,
    interval_rows,
    latency_descriptions,
    run_info,
    trial_infos,
    workload_spec,
)
from bakeoff.report.pool import Workers, worker_count
from bakeoff.report.views import (
    CONFIDENCE,
    ESTIMATED,
    KIND_ORDER,
    MEDIAN_ONLY,
    OPERATION_ORDER,
    TRIAL_COLUMNS,
    Estimate,
    KindReport,
    LatencyDistribution,
    ReportData,
    SummaryRow,
    WorkloadReport,
)
from bakeoff.results.reader import NotARunError, StoredRun, read_runs
from bakeoff.results.schema import LATENCY_KINDS
from bakeoff.results.statistics import bootstrap_ci
from bakeoff.results.summary import TOTAL, typed_summary


class ReportError(ValueError):
    """The paths given hold nothing a report can be made from."""


def build_report(
    paths: Sequence[Path | str] | Path | str,
    *,
    title: str | None = None,
    workers: int | None = None,
) -> ReportData:
    """Read the given run directories (or results folders) into a `ReportData`.

    A large store is decoded by `workers` processes (default: one per usable core, at
    most four, and only when there is enough to decode to repay starting them); the
    result is the same whatever the number.
    """
    given = [paths] if isinstance(paths, str | Path) else list(paths)
    if not given:
        raise ReportError("a report needs at least one run directory or results folder")
    try:
        runs = read_runs(given)
    except NotARunError as exc:
        raise ReportError(str(exc)) from exc
    runs.sort(key=lambda r: (as_text(r.manifest.get("started_at")), r.run_id))
    count = worker_count(interval_rows(runs), len(runs)) if workers is None else workers
    with Workers(count) as pool:
        collector = collect(runs, pool)
        trials = _trial_frame(collector.trial_rows)
        estimates = _estimate_all(trials, pool) if not trials.empty else {}
    if trials.empty:
        raise ReportError(
            "no measured results in " + ", ".join(str(r.path) for r in runs) + " (no trial "
            "finished ok, or none had a measure phase)"
        )
    trials_of = {r.path: trial_infos(r) for r in runs}
    all_trials = [t for r in runs for t in trials_of[r.path]]
    engines = _engine_order(all_trials, trials)
    labels = _workload_labels(runs, trials)
    series = pd.concat(collector.series, ignore_index=True)
    distributions = {key: LatencyDistribution(c.histogram()) for key, c in collector.groups.items()}
    workloads = tuple(
        _workload_report(
            workload_hash, label, runs, trials, series, distributions, estimates, engines
        )
        for workload_hash, label in labels.items()
    )
    return ReportData(
        title=title or _default_title(workloads, engines),
        runs=tuple(run_info(r, trials_of[r.path]) for r in runs),
        workloads=workloads,
        engines=tuple(engine_setup(e, all_trials) for e in engines),
        trials=trials,
        latency_kinds=latency_descriptions(runs),
        excluded=excluded_trials(all_trials),
    )


_EstimateKey = tuple[str, str, str, str]
"""(workload hash, latency kind, operation, engine)."""


def _estimate_share(
    tasks: list[tuple[_EstimateKey, dict[str, list[float]]]],
) -> list[tuple[_EstimateKey, dict[str, Estimate]]]:
    out = []
    for key, columns in tasks:
        estimates = {column: _estimate(columns[column], CONFIDENCE) for column in ESTIMATED}
        for column in MEDIAN_ONLY:
            estimates[column] = _estimate(columns[column], None)
        out.append((key, estimates))
    return out


def _estimate_all(
    trials: pd.DataFrame, workers: Workers
) -> dict[_EstimateKey, dict[str, Estimate]]:
    tasks: list[tuple[_EstimateKey, dict[str, list[float]]]] = []
    keys = ["workload_hash", "latency_kind", "operation", "engine"]
    for key, part in trials.groupby(keys, sort=False):
        columns = {c: part[c].astype(float).tolist() for c in (*ESTIMATED, *MEDIAN_ONLY)}
        workload_hash, kind, operation, engine = (str(k) for k in key)
        tasks.append(((workload_hash, kind, operation, engine), columns))
    results: dict[_EstimateKey, dict[str, Estimate]] = {}
    for share in workers.map_chunks(_estimate_share, tasks):
        for key, estimates in share:
            results[key] = estimates
    return results


def _trial_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    return typed_summary(pd.DataFrame(rows, columns=list(TRIAL_COLUMNS)))


def _engine_order(all_trials: Sequence[TrialInfo], trials: pd.DataFrame) -> tuple[str, ...]:
    measured = set(trials["engine"])
    ordered = dict.fromkeys(t.engine for t in all_trials if t.engine in measured)
    ordered.update(dict.fromkeys(sorted(measured - set(ordered))))
    return tuple(ordered)


def _workload_labels(runs: Sequence[StoredRun], trials: pd.DataFrame) -> dict[str, str]:
    """workload hash → label, in the order the runs first measured them."""
    pairs = trials[["workload", "workload_hash"]].drop_duplicates()
    hashes_per_name = pairs.groupby("workload")["workload_hash"].nunique()
    labels: dict[str, str] = {}
    for name, workload_hash in pairs.itertuples(index=False):
        many = int(hashes_per_name.loc[name]) > 1
        labels[str(workload_hash)] = f"{name}@{str(workload_hash)[:8]}" if many else str(name)
    return labels


def _operation_key(operation: str) -> tuple[int, int, str]:
    if operation == TOTAL:
        return (2, 0, operation)
    if operation in OPERATION_ORDER:
        return (0, OPERATION_ORDER.index(operation), operation)
    return (1, 0, operation)


def _workload_report(
    workload_hash: str,
    label: str,
    runs: Sequence[StoredRun],
    trials: pd.DataFrame,
    series: pd.DataFrame,
    distributions: Mapping[tuple[str, str, str, str], LatencyDistribution],
    estimates: Mapping[_EstimateKey, Mapping[str, Estimate]],
    engine_order: Sequence[str],
) -> WorkloadReport:
    mine = trials[trials["workload_hash"] == workload_hash]
    present = set(mine["engine"])
    engines = tuple(e for e in engine_order if e in present)
    operations = tuple(sorted(set(mine["operation"]), key=_operation_key))
    kinds_present = set(mine["latency_kind"])
    kind_names = [k for k in KIND_ORDER if k in kinds_present]
    kind_names += sorted(kinds_present - set(KIND_ORDER))
    kinds = tuple(
        KindReport(
            kind=kind,
            description=LATENCY_KINDS.get(kind, ""),
            rows=_summary_rows(mine[mine["latency_kind"] == kind], engines, operations, estimates),
            distributions={
                (engine, operation): dist
                for (h, k, engine, operation), dist in distributions.items()
                if h == workload_hash and k == kind
            },
        )
        for kind in kind_names
    )
    spec = workload_spec(runs, workload_hash)
    primary = kind_names[0]
    selected = series[
        (series["workload_hash"] == workload_hash) & (series["latency_kind"] == primary)
    ]
    return WorkloadReport(
        label=label,
        name=str(mine["workload"].iloc[0]),
        hash=workload_hash,
        spec=spec,
        engines=engines,
        operations=operations,
        kinds=kinds,
        throughput=_throughput_series(selected),
        latency=_latency_series(selected),
    )


def _estimate(values: Sequence[float], level: float | None) -> Estimate:
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return Estimate(math.nan, math.nan, math.nan, 0)
    value = float(np.median(finite))
    if len(finite) == 1:
        return Estimate(value, value, value, 1)
    if level is None:
        return Estimate(value, math.nan, math.nan, len(finite))
    low, high = bootstrap_ci(finite, statistic="median", level=level, seed=0)
    return Estimate(value, low, high, len(finite))


def _summary_rows(
    rows: pd.DataFrame,
    engines: Sequence[str],
    operations: Sequence[str],
    estimates: Mapping[_EstimateKey, Mapping[str, Estimate]],
) -> tuple[SummaryRow, ...]:
    out: list[SummaryRow] = []
    grouped = {key: part for key, part in rows.groupby(["operation", "engine"], sort=False)}
    for operation in operations:
        for engine in engines:
            part = grouped.get((operation, engine))
            if part is None:
                continue
            first = part.iloc[0]
            key = (str(first["workload_hash"]), str(first["latency_kind"]), operation, engine)
            found = estimates[key]
            out.append(
                SummaryRow(
                    operation=operation,
                    engine=engine,
                    repetitions=len(part),
                    ops_per_s=found["ops_per_s"],
                    p50_us=found["p50_us"],
                    p90_us=found["p90_us"],
                    p99_us=found["p99_us"],
                    p999_us=found["p999_us"],
                    mean_us=found["mean_us"],
                    max_us=float(part["max_us"].max()),
                    count=int(part["count"].sum()),
                    errors=int(part["errors"].sum()),
                    not_found=int(part["not_found"].sum()),
                )
            )
    return tuple(out)


def _throughput_series(selected: pd.DataFrame) -> pd.DataFrame:
    columns = ["engine", "start_s", "duration_s", "ops_per_s", "trials"]
    if selected.empty:
        return pd.DataFrame(columns=columns)
    per_trial = selected.groupby(["engine", "run_id", "trial", "start_s"], sort=False).agg(
        count=("count", "sum"), duration_s=("duration_s", "max")
    )
    per_trial = per_trial[per_trial["duration_s"] > 0]
    per_trial["ops_per_s"] = per_trial["count"] / per_trial["duration_s"]
    out = (
        per_trial.groupby(["engine", "start_s"])
        .agg(
            duration_s=("duration_s", "median"),
            ops_per_s=("ops_per_s", "median"),
            trials=("ops_per_s", "size"),
        )
        .reset_index()
    )
    return out[columns]


def _latency_series(selected: pd.DataFrame) -> pd.DataFrame:
    columns = ["engine", "operation", "start_s", "duration_s", "p50_us", "p99_us", "trials"]
    usable = selected[selected["count"] > 0]
    if usable.empty:
        return pd.DataFrame(columns=columns)
    out = (
        usable.groupby(["engine", "operation", "start_s"])
        .agg(
            duration_s=("duration_s", "median"),
            p50_us=("p50_us", "median"),
            p99_us=("p99_us", "median"),
            trials=("p50_us", "size"),
        )
        .reset_index()
    )
    return out[columns]


def _default_title(workloads: Sequence[WorkloadReport], engines: Sequence[str]) -> str:
    names = ", ".join(w.label for w in workloads)
    return f"bakeoff: {names} on {', '.join(engines)}"
