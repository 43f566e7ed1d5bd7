"""The report's headline checks: one sentence per thing that makes a number doubtful,
worst first. The terminal summary prints the same sentences.

Every verdict comes from `bakeoff.results.figures` and `bakeoff.results.validity`; this
module only words them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from itertools import pairwise

import pandas as pd

from bakeoff.core.formats import format_fixed, format_range
from bakeoff.report.views import KIND_ORDER
from bakeoff.results.reader import StoredRun
from bakeoff.results.statistics import UNSTABLE_CV
from bakeoff.results.summary import TOTAL
from bakeoff.results.validity import EXTREME_MAX_RATIO, MIN_INTERVALS, MIN_MEASURED_S


def report_checks(
    figures: pd.DataFrame,
    trials: pd.DataFrame,
    labels: Mapping[str, str],
    runs: Sequence[StoredRun],
) -> list[str]:
    """`labels`: workload hash → the label the report uses for it."""
    totals = _primary_totals(figures)
    checks = [
        *_too_short(totals, labels),
        *_unstable(totals, labels),
        *_flips(totals, labels),
        *(line for run in runs for line in load_generator_warnings(run.manifest)),
        *_errors(totals, labels),
        *_unstable_trials(totals, labels),
        *_extreme_max(_primary(figures), labels),
        *_undecided(totals, labels),
    ]
    if not totals.empty and int(totals["trials"].max()) == 1:
        checks.append(
            "One trial per engine: nothing here says how much these numbers vary between "
            "runs; repeat (--repeat 3 or more) before comparing engines."
        )
    return checks


def _primary(figures: pd.DataFrame) -> pd.DataFrame:
    """Each workload's rows of the latency kind the report shows first."""
    if figures.empty:
        return figures
    rank = {kind: i for i, kind in enumerate(KIND_ORDER)}
    order = figures["latency_kind"].map(lambda k: rank.get(str(k), len(rank)))
    first = order.groupby(figures["workload_hash"]).transform("min")
    return figures[order == first]


def _primary_totals(figures: pd.DataFrame) -> pd.DataFrame:
    primary = _primary(figures)
    return primary[primary["operation"] == TOTAL]


def _rows(frame: pd.DataFrame) -> Iterator[dict[str, object]]:
    for record in frame.to_dict("records"):
        yield {str(k): v for k, v in record.items()}


def _where(row: Mapping[str, object], labels: Mapping[str, str]) -> str:
    return f"{labels.get(str(row['workload_hash']), row['workload'])} on {row['engine']}"


def _too_short(totals: pd.DataFrame, labels: Mapping[str, str]) -> Iterator[str]:
    for row in _rows(totals[totals["too_short"] > 0]):
        count = int(row["intervals"])  # type: ignore[call-overload]
        yield (
            f"{_where(row, labels)}: too short to mean anything — the shortest measured "
            f"phase lasted {float(row['measured_s']):.3g} s in {count} interval"  # type: ignore[arg-type]
            f"{'s' if count != 1 else ''} (needs {MIN_MEASURED_S:g} s and {MIN_INTERVALS} "
            "intervals); measure longer with --duration."
        )


def _unstable(totals: pd.DataFrame, labels: Mapping[str, str]) -> Iterator[str]:
    for row in _rows(totals[totals["unstable"].astype(bool)]):
        low, high = float(row["ops_low"]), float(row["ops_high"])  # type: ignore[arg-type]
        yield (
            f"{_where(row, labels)}: unstable — throughput varies by CV "
            f"{float(row['ops_cv']):.0%} across {row['trials']} trials "  # type: ignore[arg-type]
            f"({format_range(low, high)} ops/s, {row['ops_spread']}; unstable above "
            f"{UNSTABLE_CV:.0%}); its median is no basis for a ranking."
        )


def _flips(totals: pd.DataFrame, labels: Mapping[str, str]) -> Iterator[str]:
    seen: set[tuple[str, str, str]] = set()
    for row in _rows(totals[totals["flips_with"] != ""]):
        for other in str(row["flips_with"]).split(", "):
            a, b = sorted((str(row["engine"]), other))
            key = (str(row["workload_hash"]), a, b)
            if key in seen:
                continue
            seen.add(key)
            label = labels.get(key[0], str(row["workload"]))
            yield (
                f"{label}: {a} and {b} swap places between repetitions — which is faster "
                "is not decided."
            )


def _errors(totals: pd.DataFrame, labels: Mapping[str, str]) -> Iterator[str]:
    for row in _rows(totals[totals["errors"] > 0]):
        yield (
            f"{_where(row, labels)}: {int(row['errors']):,} operations failed "  # type: ignore[call-overload]
            "(not counted in ops/s or latencies)."
        )


def _unstable_trials(totals: pd.DataFrame, labels: Mapping[str, str]) -> Iterator[str]:
    for row in _rows(totals[totals["unstable_trials"] > 0]):
        yield (
            f"{_where(row, labels)}: {row['unstable_trials']} of {row['trials']} trials "
            f"unstable — throughput varies by more than {UNSTABLE_CV:.0%} (CV) across the "
            "trial's intervals; see throughput over time."
        )


def _extreme_max(primary: pd.DataFrame, labels: Mapping[str, str]) -> Iterator[str]:
    rows = primary[primary["extreme_max"].astype(bool) & (primary["operation"] == TOTAL)]
    for row in _rows(rows):
        max_us, p999 = float(row["max_us"]), float(row["p999_us"])  # type: ignore[arg-type]
        yield (
            f"{_where(row, labels)}: max {format_fixed(max_us)} µs is {max_us / p999:.0f}× "
            f"the p99.9 ({format_fixed(p999, 1)} µs; flagged above {EXTREME_MAX_RATIO:g}×): "
            "a stall, not the tail; do not quote the max alone."
        )


def _undecided(totals: pd.DataFrame, labels: Mapping[str, str]) -> Iterator[str]:
    for _, group in totals.groupby("workload_hash", sort=False):
        ordered = list(_rows(group.sort_values("ops_per_s", ascending=False)))
        for here, below in pairwise(ordered):
            if here["decided"] is False and str(below["engine"]) not in str(here["flips_with"]):
                label = labels.get(str(here["workload_hash"]), str(here["workload"]))
                yield (
                    f"{label}: {here['engine']} ahead of {below['engine']} is not decided — "
                    f"their {here['ops_spread']} overlap."
                )


def load_generator_warnings(manifest: Mapping[str, object]) -> list[str]:
    """One line per trial whose load generator, not the engine, may have been the limit."""
    warnings = []
    trials = manifest.get("trials")
    for trial in trials if isinstance(trials, list) else []:
        measure = (trial.get("load_generator") or {}).get("measure") or {}
        where = f"{trial.get('workload')} on {trial.get('engine')}, trial {trial.get('trial')}"
        if measure.get("client_saturated"):
            busiest = max(measure.get("client_process_utilisation") or [0.0])
            warnings.append(
                f"{where}: the client was saturated (busiest process at {busiest:.0%} of a "
                "core): these numbers may measure bakeoff, not the engine; add --processes "
                "or lower --rate."
            )
        backlog = measure.get("backlog_operations") or 0
        intended = (measure.get("target_ops_per_s") or 0) * (measure.get("wall_s") or 0)
        # A few operations due in the last milliseconds are normal; 1% is a missed target.
        if backlog > 0.01 * intended:
            warnings.append(
                f"{where}: the target rate was not met ({backlog} operations never "
                "started); response times include the backlog."
            )
    return warnings
