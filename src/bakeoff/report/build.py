"""Building a report from the result store: the one way from stored runs to `ReportData`.

A report is rebuilt from Parquet and manifests, never from a live run, so an old run
renders exactly as a new one. Numbers follow `summarize()`: one value per trial; across
repetitions each figure is `bakeoff.results.figures`' (the terminal summary shows the
same `ReportData`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd

from bakeoff.core.formats import as_text
from bakeoff.report.capacity import capacity_report
from bakeoff.report.caveats import report_caveats
from bakeoff.report.checks import report_checks
from bakeoff.report.collect import collect
from bakeoff.report.data_models import data_model_uses
from bakeoff.report.fault_timeline import fault_frames
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
from bakeoff.report.query_plans import engines_without_plans, plan_trials
from bakeoff.report.views import (
    KIND_ORDER,
    OPERATION_ORDER,
    TRIAL_COLUMNS,
    KindReport,
    LatencyDistribution,
    ReportData,
    SummaryRow,
    WorkloadReport,
)
from bakeoff.results.figures import figures
from bakeoff.results.reader import NotARunError, StoredRun, read_runs
from bakeoff.results.schema import LATENCY_KINDS
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
    figure_frame = _in_report_order(
        figures(trials, {key: d.summary_us() for key, d in distributions.items()}),
        list(labels),
        engines,
    )
    telemetry = _measured_telemetry(runs, trials)
    availability, fault_rows = fault_frames(runs, labels)
    workloads = tuple(
        _workload_report(workload_hash, label, runs, figure_frame, series, distributions, engines)
        for workload_hash, label in labels.items()
    )
    workloads = tuple(
        replace(w, telemetry=telemetry[telemetry["workload_hash"] == w.hash]) for w in workloads
    )
    plans = plan_trials(runs)
    return ReportData(
        title=title or _default_title(workloads, engines),
        runs=tuple(run_info(r, trials_of[r.path]) for r in runs),
        workloads=workloads,
        engines=tuple(engine_setup(e, all_trials) for e in engines),
        trials=trials,
        figures=figure_frame,
        latency_kinds=latency_descriptions(runs),
        excluded=excluded_trials(all_trials),
        checks=tuple(report_checks(figure_frame, labels, runs)),
        caveats=tuple(report_caveats(runs)),
        data_models=data_model_uses(runs),
        capacity=capacity_report(runs, trials),
        query_plans=plans,
        plans_missing=engines_without_plans(runs, plans),
        availability=availability,
        fault_series=fault_rows,
    )


def _measured_telemetry(runs: Sequence[StoredRun], trials: pd.DataFrame) -> pd.DataFrame:
    """The measure phases' telemetry of the trials the report holds, with their hash."""
    frames = [run.telemetry() for run in runs]
    telemetry = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    keys = trials[["run_id", "trial", "workload_hash"]].drop_duplicates()
    if telemetry.empty:
        return pd.DataFrame(columns=[*telemetry.columns, "workload_hash"])
    measured = telemetry[telemetry["phase"] == "measure"]
    return measured.merge(keys, on=["run_id", "trial"], how="inner")


def _trial_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    return typed_summary(pd.DataFrame(rows, columns=list(TRIAL_COLUMNS)))


def _in_report_order(
    frame: pd.DataFrame, workloads: Sequence[str], engines: Sequence[str]
) -> pd.DataFrame:
    """Workloads as first measured, response time first, operations in YCSB order then
    TOTAL, engines as the runs listed them: the order of the tables and the CSV."""
    kinds = {kind: i for i, kind in enumerate(KIND_ORDER)}
    columns = ("workload_hash", "latency_kind", "operation", "engine")
    keys = [
        (workloads.index(h), kinds.get(k, len(kinds)), k, _operation_key(o), engines.index(e))
        for h, k, o, e in zip(*(frame[c].astype(str) for c in columns), strict=True)
    ]
    ordered: pd.DataFrame = frame.iloc[sorted(range(len(keys)), key=keys.__getitem__)]
    return ordered.reset_index(drop=True)


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
    figure_frame: pd.DataFrame,
    series: pd.DataFrame,
    distributions: Mapping[tuple[str, str, str, str], LatencyDistribution],
    engine_order: Sequence[str],
) -> WorkloadReport:
    mine = figure_frame[figure_frame["workload_hash"] == workload_hash]
    present = set(mine["engine"])
    engines = tuple(e for e in engine_order if e in present)
    operations = tuple(sorted(set(mine["operation"]), key=_operation_key))
    if len(operations) == 2 and TOTAL in operations:
        # One operation: its rows and TOTAL's are the same numbers; show them once.
        operations = tuple(op for op in operations if op != TOTAL)
    kinds_present = set(mine["latency_kind"])
    kind_names = [k for k in KIND_ORDER if k in kinds_present]
    kind_names += sorted(kinds_present - set(KIND_ORDER))
    kinds = tuple(
        KindReport(
            kind=kind,
            description=LATENCY_KINDS.get(kind, ""),
            rows=_summary_rows(mine[mine["latency_kind"] == kind], engines, operations),
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


def _summary_rows(
    rows: pd.DataFrame, engines: Sequence[str], operations: Sequence[str]
) -> tuple[SummaryRow, ...]:
    found = {
        (str(r["operation"]), str(r["engine"])): SummaryRow.from_record(r)
        for r in rows.to_dict("records")
    }
    return tuple(found[op, e] for op in operations for e in engines if (op, e) in found)


def _throughput_series(selected: pd.DataFrame) -> pd.DataFrame:
    """Per trial and interval, all operations together: each trial is drawn on its own,
    so trials of different lengths never make a median that jumps where one ends."""
    columns = ["engine", "run_id", "trial", "start_s", "duration_s", "ops_per_s"]
    if selected.empty:
        return pd.DataFrame(columns=columns)
    per_trial = (
        selected.groupby(["engine", "run_id", "trial", "start_s"], sort=False)
        .agg(count=("count", "sum"), duration_s=("duration_s", "max"))
        .reset_index()
    )
    per_trial = per_trial[per_trial["duration_s"] > 0]
    per_trial["ops_per_s"] = per_trial["count"] / per_trial["duration_s"]
    return per_trial[columns].reset_index(drop=True)


def _latency_series(selected: pd.DataFrame) -> pd.DataFrame:
    columns = ["engine", "run_id", "trial", "operation", "start_s", "duration_s"]
    columns += ["p50_us", "p99_us"]
    usable = selected[selected["count"] > 0]
    return usable[columns].reset_index(drop=True)


def _default_title(workloads: Sequence[WorkloadReport], engines: Sequence[str]) -> str:
    names = ", ".join(w.label for w in workloads)
    return f"bakeoff: {names} on {', '.join(engines)}"
