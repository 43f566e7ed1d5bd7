"""The one definition of each figure across repetitions, shared by the terminal summary,
the report, its CSV and JSON exports.

Per engine × workload × latency kind × operation, over its trials (`summarize()` rows):

- **ops/s**: the median over trials of the trial's throughput, all operations together;
  an operation's ops/s is that median times the operation's share of the successful
  operations. In a mixed workload operations are not measured apart, so an operation's
  rate is its part of the whole, and the parts add up to the whole.
- its spread: `median_spread` of the trials' throughputs, a confidence interval when the
  trials support one, else their range ("range of 3 trials"); `ops_cv` is their CV.
- **p50 … p99.9, mean and max**: from the exact merge of every interval histogram of
  every trial (pooled), so `max` is the largest latency of any trial and a TOTAL
  percentile always lies between its operations' (it is a percentile of their mixture).
- counts, errors and not-found: summed over the trials.
- checks: `too_short` and `unstable_trials` count trials flagged by `summarize()`;
  `unstable` is the CV across trials above `UNSTABLE_CV`; `extreme_max` compares the
  pooled max and p99.9; `decided` says whether this engine's spread lies clear of the
  next slower engine's; `flips_with` names engines it swaps places with between
  repetitions of one run.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from itertools import combinations

import numpy as np
import pandas as pd

from bakeoff.core.histogram import merge_encoded, percentiles_us
from bakeoff.core.measures import Phase
from bakeoff.results.schema import success_rows
from bakeoff.results.statistics import (
    coefficient_of_variation,
    is_unstable,
    median_spread,
    trials_for_interval,
)
from bakeoff.results.summary import TOTAL, summarize
from bakeoff.results.validity import is_extreme_max

LEVEL = 0.95
"""Confidence level of an interval, when the number of trials supports one."""
ENOUGH_FOR_INTERVAL = trials_for_interval(LEVEL)
"""Trials from which `median_spread` gives a 95 % interval rather than the range."""

LATENCY_FIGURES = ("p50_us", "p90_us", "p99_us", "p999_us", "max_us", "mean_us")

FIGURE_COLUMNS = (
    "workload",
    "workload_hash",
    "latency_kind",
    "operation",
    "engine",
    "trials",
    "ops_per_s",
    "ops_low",
    "ops_high",
    "ops_spread",
    "ops_cv",
    "share",
    *LATENCY_FIGURES,
    "count",
    "errors",
    "not_found",
    "measured_s",
    "intervals",
    "too_short",
    "unstable_trials",
    "unstable",
    "extreme_max",
    "decided",
    "flips_with",
)
"""`measured_s` and `intervals` are the shortest trial's; `decided` is True, False, or
None (the slowest engine of its group, or a trial short of a spread)."""

PooledKey = tuple[str, str, str, str]
"""(workload hash, latency kind, engine, operation)."""


def pooled_latencies(
    samples: pd.DataFrame, *, phase: str = "measure"
) -> dict[PooledKey, dict[str, float]]:
    """The pooled latency figures of every group of a samples frame, TOTAL included."""
    # Successes only: failed operations' latencies are kept apart (results/error_latency).
    rows = success_rows(samples[samples["phase"] == Phase(phase).value])
    out: dict[PooledKey, dict[str, float]] = {}
    keys = ["workload_hash", "latency_kind", "engine"]
    for (workload_hash, kind, engine), part in rows.groupby(keys, sort=False):
        for operation, op_rows in part.groupby("operation", sort=False):
            out[str(workload_hash), str(kind), str(engine), str(operation)] = _percentiles(
                op_rows["histogram"]
            )
        out[str(workload_hash), str(kind), str(engine), TOTAL] = _percentiles(part["histogram"])
    return out


def _percentiles(encoded: Iterable[str]) -> dict[str, float]:
    return percentiles_us(merge_encoded(s for s in encoded if s))


def repetition_figures(samples: pd.DataFrame) -> pd.DataFrame:
    """`figures()` of a samples frame (from `load()`), every latency kind measured.

    Keep only the trials that finished ok first (`StoredRun.ok_trials`): a trial cut
    short measures its failure.
    """
    trials = pd.concat(
        [
            summarize(samples, latency_kind=str(kind)).assign(latency_kind=str(kind))
            for kind in samples["latency_kind"].unique()
        ],
        ignore_index=True,
    )
    return figures(trials, pooled_latencies(samples))


def figures(trials: pd.DataFrame, pooled: Mapping[PooledKey, Mapping[str, float]]) -> pd.DataFrame:
    """One row per workload × latency kind × operation × engine (FIGURE_COLUMNS).

    `trials` are `summarize()` rows with a `latency_kind` column; `pooled` the merged
    latency figures of each group (`pooled_latencies`, or the report's faster merge).
    """
    if trials.empty:
        return pd.DataFrame(columns=list(FIGURE_COLUMNS))
    rows: list[dict[str, object]] = []
    keys = ["workload_hash", "latency_kind", "engine"]
    for (workload_hash, kind, engine), part in trials.groupby(keys, sort=False):
        totals = part[part["operation"] == TOTAL]
        rates = [float(v) for v in totals["ops_per_s"] if math.isfinite(v)]
        spread = median_spread(rates, level=LEVEL) if rates else None
        median = float(np.median(rates)) if rates else math.nan
        cv = coefficient_of_variation(rates) if rates else math.nan
        total_count = int(totals["count"].sum())
        for operation, op_rows in part.groupby("operation", sort=False):
            count = int(op_rows["count"].sum())
            share = count / total_count if total_count else math.nan
            latencies = dict(
                pooled.get((str(workload_hash), str(kind), str(engine), str(operation)), {})
            )
            rows.append(
                {
                    "workload": str(op_rows["workload"].iloc[0]),
                    "workload_hash": str(workload_hash),
                    "latency_kind": str(kind),
                    "operation": str(operation),
                    "engine": str(engine),
                    "trials": len(op_rows),
                    "ops_per_s": median * share,
                    "ops_low": spread.low * share if spread else math.nan,
                    "ops_high": spread.high * share if spread else math.nan,
                    "ops_spread": spread.label() if spread else "",
                    "ops_cv": cv,
                    "share": share,
                    **{f: float(latencies.get(f, math.nan)) for f in LATENCY_FIGURES},
                    "count": count,
                    "errors": int(op_rows["errors"].sum()),
                    "not_found": int(op_rows["not_found"].sum()),
                    "measured_s": float(op_rows["duration_s"].min()),
                    "intervals": int(op_rows["intervals"].min()),
                    "too_short": int(op_rows["too_short"].sum()),
                    "unstable_trials": int(op_rows["unstable"].sum()),
                    "unstable": bool(is_unstable(cv)),
                    "extreme_max": is_extreme_max(
                        float(latencies.get("p999_us", math.nan)),
                        float(latencies.get("max_us", math.nan)),
                    ),
                }
            )
    frame = pd.DataFrame(rows)
    frame["decided"] = pd.Series(_decided(frame), index=frame.index, dtype=object)
    frame["flips_with"] = _flips(trials, frame)
    return frame[list(FIGURE_COLUMNS)].reset_index(drop=True)


def _decided(frame: pd.DataFrame) -> list[object]:
    decided: dict[int, object] = {}
    for _, group in frame.groupby(["workload_hash", "latency_kind", "operation"], sort=False):
        ordered = group.sort_values("ops_per_s", ascending=False)
        indices = list(ordered.index)
        for position, index in enumerate(indices):
            if position + 1 == len(indices):
                decided[index] = None
                continue
            here, below = ordered.loc[index], ordered.loc[indices[position + 1]]
            if min(int(here["trials"]), int(below["trials"])) < 2:
                decided[index] = None
            else:
                decided[index] = bool(float(here["ops_low"]) > float(below["ops_high"]))
    return [decided[i] for i in frame.index]


def _flips(trials: pd.DataFrame, frame: pd.DataFrame) -> list[str]:
    """Per row, the engines whose order against it changes between repetitions of one
    run (repetition k of every engine ran interleaved, so they are paired)."""
    totals = trials[trials["operation"] == TOTAL]
    flips: dict[tuple[str, str], set[str]] = {}
    for (workload_hash, kind), group in totals.groupby(["workload_hash", "latency_kind"]):
        table = group.pivot_table(
            index=["run_id", "repetition"], columns="engine", values="ops_per_s", aggfunc="first"
        )
        for a, b in combinations(sorted(map(str, table.columns)), 2):
            both = table[[a, b]].dropna()
            signs = set(np.sign(both[a] - both[b]).tolist()) - {0.0}
            if len(signs) > 1:
                flips.setdefault((f"{workload_hash}/{kind}", a), set()).add(b)
                flips.setdefault((f"{workload_hash}/{kind}", b), set()).add(a)
    return [
        ", ".join(sorted(flips.get((f"{h}/{k}", str(e)), set())))
        for h, k, e in zip(
            frame["workload_hash"], frame["latency_kind"], frame["engine"], strict=True
        )
    ]
