"""Baseline against candidate: per engine × workload × operation × metric, a verdict.

Each trial (a repetition) is one observation; a row's verdict rests on the trials of both
sides, never on a single pair of numbers:

1. fewer trials than the rank test needs to reach `alpha` → inconclusive;
2. either side's coefficient of variation above `max_cv` → unstable (flagged, not judged);
3. Mann-Whitney p < alpha and the median moved past `threshold` in the bad direction →
   regressed (good direction → improved);
4. otherwise unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd

from bakeoff.gate import history
from bakeoff.gate.comparison import CompareOptions, Comparison, Row, Verdict
from bakeoff.gate.metrics import METRICS, CompareError, Metric, load_trial_metrics
from bakeoff.gate.plan_changes import plan_changes
from bakeoff.results.reader import read_runs, run_directories
from bakeoff.results.statistics import (
    coefficient_of_variation,
    is_unstable,
    mann_whitney_p,
    min_attainable_p,
    ratio_ci,
)
from bakeoff.results.summary import TOTAL

# -- comparing -------------------------------------------------------------------------

_GROUP = ("engine", "workload", "operation")


def compare_metrics(
    baseline: pd.DataFrame,
    candidate: pd.DataFrame,
    options: CompareOptions | None = None,
    *,
    baseline_label: str = "baseline",
    candidate_label: str = "candidate",
) -> Comparison:
    """Compare two frames of per-trial metrics (as `trial_metrics` returns them).

    Raises CompareError when no engine × workload × operation is on both sides.
    """
    options = options or CompareOptions()
    base_groups = _groups(baseline)
    cand_groups = _groups(candidate)
    common = sorted(set(base_groups) & set(cand_groups), key=_sort_key)
    if not common:
        raise CompareError(
            f"{baseline_label} and {candidate_label} have no engine × workload × operation "
            f"in common ({_describe(base_groups)} vs {_describe(cand_groups)})"
        )
    notes = _notes(base_groups, cand_groups, baseline_label, candidate_label)
    rows: list[Row] = []
    for key in common:
        base, cand = base_groups[key], cand_groups[key]
        for name in options.metrics:
            rows.append(_compare_row(key, METRICS[name], base, cand, options))
    return Comparison(rows, options, baseline_label, candidate_label, notes)


def compare_paths(
    baseline: Path, candidate: Path, options: CompareOptions | None = None
) -> Comparison:
    """Compare two run directories (or results folders, or a history store as baseline).

    A history store as the baseline stands for its newest run of each engine × workload,
    leaving out any run that is the candidate itself (added to the history already).
    """
    candidate_metrics = load_trial_metrics(candidate)
    notes: list[str] = []
    if history.is_history(baseline):
        exclude = set(candidate_metrics["run_id"].astype(str))
        hosts = history.run_fingerprints(read_runs([candidate]))
        baseline_metrics = history.latest_trial_metrics(
            baseline, exclude_runs=exclude, host_fingerprints=hosts
        )
        if baseline_metrics.empty:
            # Better a comparison across machines, said out loud, than none at all.
            baseline_metrics = history.latest_trial_metrics(baseline, exclude_runs=exclude)
            if not baseline_metrics.empty:
                notes.append(
                    "the history has no run from the candidate's host; the baseline ran on "
                    "another machine, so differences may be the machine's"
                )
        if baseline_metrics.empty:
            raise CompareError(f"{baseline}: the history holds no run other than the candidate")
        run_ids = sorted(set(baseline_metrics["run_id"].astype(str)))
        notes.append(f"baseline from the history: run {', '.join(run_ids)}")
        baseline_runs = [baseline / history.RUNS_DIR / run_id for run_id in run_ids]
    else:
        baseline_metrics = load_trial_metrics(baseline)
        baseline_runs = run_directories([baseline])
    comparison = compare_metrics(
        baseline_metrics,
        candidate_metrics,
        options,
        baseline_label=str(baseline),
        candidate_label=str(candidate),
    )
    changes = plan_changes(baseline_runs, run_directories([candidate]))
    return replace(comparison, notes=[*notes, *comparison.notes], plan_changes=changes)


def _sort_key(key: tuple[str, str, str]) -> tuple[str, str, bool, str]:
    engine, workload, operation = key
    return workload, engine, operation == TOTAL, operation


def _groups(metrics: pd.DataFrame) -> dict[tuple[str, str, str], pd.DataFrame]:
    if metrics.empty:
        return {}
    groups: dict[tuple[str, str, str], pd.DataFrame] = {}
    for key, rows in metrics.groupby(list(_GROUP), sort=False):
        engine, workload, operation = (str(k) for k in key)
        groups[(engine, workload, operation)] = rows
    return groups


def _describe(groups: Mapping[tuple[str, str, str], pd.DataFrame]) -> str:
    pairs = sorted({f"{e}/{w}" for e, w, _ in groups})
    return ", ".join(pairs) if pairs else "nothing measured"


def _notes(
    base: Mapping[tuple[str, str, str], pd.DataFrame],
    cand: Mapping[tuple[str, str, str], pd.DataFrame],
    base_label: str,
    cand_label: str,
) -> list[str]:
    notes: list[str] = []
    only_base = sorted({f"{e}/{w}" for e, w, _ in set(base) - set(cand)})
    only_cand = sorted({f"{e}/{w}" for e, w, _ in set(cand) - set(base)})
    if only_base:
        notes.append(f"only in the baseline, not compared: {', '.join(only_base)}")
    if only_cand:
        notes.append(f"only in the candidate, not compared: {', '.join(only_cand)}")
    for key in sorted(set(base) & set(cand), key=_sort_key):
        if key[2] != TOTAL:
            continue
        base_hashes = set(base[key]["workload_hash"].astype(str))
        cand_hashes = set(cand[key]["workload_hash"].astype(str))
        if base_hashes != cand_hashes:
            notes.append(
                f"{key[0]}/{key[1]}: the workload spec differs between {base_label} and "
                f"{cand_label} (hash {_short(base_hashes)} vs {_short(cand_hashes)}); the "
                "comparison measures the spec change as well"
            )
    return notes


def _short(hashes: set[str]) -> str:
    return ",".join(sorted(h[:12] for h in hashes))


def _values(rows: pd.DataFrame, column: str) -> list[float]:
    values = [float(v) for v in rows[column]]
    return [v for v in values if math.isfinite(v)]


def _compare_row(
    key: tuple[str, str, str],
    metric: Metric,
    base_rows: pd.DataFrame,
    cand_rows: pd.DataFrame,
    options: CompareOptions,
) -> Row:
    base = _values(base_rows, metric.column)
    cand = _values(cand_rows, metric.column)
    nan = math.nan
    # Everything a row has before the statistics; the branches below fill those in.
    row = Row(
        engine=key[0],
        workload=key[1],
        operation=key[2],
        metric=metric.name,
        unit=metric.unit,
        higher_is_better=metric.higher_is_better,
        baseline_n=len(base),
        candidate_n=len(cand),
        baseline_median=_median(base),
        candidate_median=_median(cand),
        ratio=nan,
        ci_low=nan,
        ci_high=nan,
        change=nan,
        p_value=nan,
        baseline_cv=nan,
        candidate_cv=nan,
        verdict=Verdict.INCONCLUSIVE,
        reason="no measurement on one side",
        baseline_engine_versions=_versions(base_rows),
        candidate_engine_versions=_versions(cand_rows),
    )
    if not base or not cand:
        return row
    row = replace(
        row,
        baseline_cv=coefficient_of_variation(base),
        candidate_cv=coefficient_of_variation(cand),
    )
    if row.baseline_median == 0.0:
        return replace(row, reason="the baseline median is zero; no ratio")
    estimate = ratio_ci(base, cand, level=options.level, seed=options.seed)
    p_value = mann_whitney_p(base, cand)
    change = estimate.ratio - 1.0
    verdict, reason = _verdict(
        metric, len(base), len(cand), change, p_value, row.baseline_cv, row.candidate_cv, options
    )
    return replace(
        row,
        ratio=estimate.ratio,
        ci_low=estimate.low,
        ci_high=estimate.high,
        change=change,
        p_value=p_value,
        verdict=verdict,
        reason=reason,
    )


def _versions(rows: pd.DataFrame) -> tuple[str, ...]:
    return tuple(sorted(set(rows["engine_version"].astype(str))))


def _median(values: Sequence[float]) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2.0


def _verdict(
    metric: Metric,
    n_base: int,
    n_cand: int,
    change: float,
    p_value: float,
    base_cv: float,
    cand_cv: float,
    options: CompareOptions,
) -> tuple[Verdict, str]:
    floor = min_attainable_p(n_base, n_cand)
    if floor >= options.alpha:
        return Verdict.INCONCLUSIVE, (
            f"{n_base} vs {n_cand} trials cannot reach p < {options.alpha:g} "
            f"(at best p = {floor:.3g}); run at least 4 (better 5) repetitions a side"
        )
    noisy = max(base_cv, cand_cv)
    if is_unstable(noisy, options.max_cv):
        side = "baseline" if base_cv >= cand_cv else "candidate"
        return Verdict.UNSTABLE, (
            f"{side} trials vary by CV {noisy:.1%} > {options.max_cv:.0%}; not judged"
        )
    if p_value >= options.alpha:
        return Verdict.UNCHANGED, f"not significant (p = {p_value:.3g})"
    if abs(change) < options.threshold:
        return Verdict.UNCHANGED, (
            f"significant but {abs(change):.1%} is below the {options.threshold:.0%} threshold"
        )
    worse = change < 0.0 if metric.higher_is_better else change > 0.0
    if worse:
        return Verdict.REGRESSED, f"{change:+.1%} (p = {p_value:.3g})"
    return Verdict.IMPROVED, f"{change:+.1%} (p = {p_value:.3g})"


# -- rendering -------------------------------------------------------------------------
