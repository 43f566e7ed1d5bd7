"""The report's headline checks: one sentence per kind of doubt, naming every workload and
engine it concerns, worst first. The terminal summary prints the same sentences.

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
from bakeoff.results.validity import (
    EXTREME_MAX_RATIO,
    MIN_INTERVALS,
    MIN_MEASURED_S,
    client_checks,
)

Found = list[tuple[str, str]]
"""(workload label, what was found there) pairs of one check."""


def report_checks(
    figures: pd.DataFrame,
    labels: Mapping[str, str],
    runs: Sequence[StoredRun],
) -> list[str]:
    """`labels`: workload hash → the label the report uses for it."""
    totals = _primary_totals(figures)
    rows = list(_rows(totals, labels))
    checks = [
        _sentence(
            f"Too short to mean anything (a measured phase needs {MIN_MEASURED_S:g} s and "
            f"{MIN_INTERVALS} intervals; measure longer with --duration)",
            [
                (w, f"{r['engine']} ({_seconds(r['measured_s'])}, {_intervals(r['intervals'])})")
                for w, r in rows
                if r["too_short"]
            ],
        ),
        _sentence(
            f"Unstable: throughput varies by more than {UNSTABLE_CV:.0%} (CV) across trials, "
            "so a median of them is no basis for a ranking",
            [
                (w, f"{r['engine']} CV {_percent(r['ops_cv'])} ({_range(r)} ops/s)")
                for w, r in rows
                if r["unstable"]
            ],
        ),
        _sentence("Which is faster changes between repetitions (not decided)", list(_flips(rows))),
        *(line for run in runs for line in load_generator_warnings(run.manifest)),
        _sentence(
            "Operations failed (left out of ops/s and latencies)",
            [(w, f"{r['engine']} {int(str(r['errors'])):,}") for w, r in rows if r["errors"]],
        ),
        _sentence(
            f"Unstable trials: throughput varies by more than {UNSTABLE_CV:.0%} (CV) across a "
            "trial's intervals; see throughput over time",
            [
                (w, f"{r['engine']} {r['unstable_trials']} of {r['trials']}")
                for w, r in rows
                if r["unstable_trials"]
            ],
        ),
        _sentence(
            f"Extreme maxima, above {EXTREME_MAX_RATIO:g}× the p99.9: a stall, not the tail; do "
            "not quote max alone",
            [(w, _extreme(r)) for w, r in rows if r["extreme_max"]],
        ),
        _sentence(
            "Ahead but not decided: the spreads of the trials overlap", list(_undecided(rows))
        ),
    ]
    if not totals.empty and int(totals["trials"].max()) == 1:
        checks.append(
            "One trial per engine: nothing here says how much these numbers vary between "
            "runs; repeat (--repeat 3 or more) before comparing engines."
        )
    return [c for c in checks if c]


def _sentence(title: str, found: Found) -> str:
    """`title: w1: a, b; w2: c.`, or "" when nothing was found."""
    if not found:
        return ""
    by_workload: dict[str, list[str]] = {}
    for workload, text in found:
        by_workload.setdefault(workload, []).append(text)
    parts = [f"{w}: {', '.join(texts)}" for w, texts in by_workload.items()]
    return f"{title} — {'; '.join(parts)}."


def _primary_totals(figures: pd.DataFrame) -> pd.DataFrame:
    """Each workload's TOTAL rows of the latency kind the report shows first."""
    if figures.empty:
        return figures
    rank = {kind: i for i, kind in enumerate(KIND_ORDER)}
    order = figures["latency_kind"].map(lambda k: rank.get(str(k), len(rank)))
    first = order.groupby(figures["workload_hash"]).transform("min")
    return figures[(order == first) & (figures["operation"] == TOTAL)]


def _rows(
    frame: pd.DataFrame, labels: Mapping[str, str]
) -> Iterator[tuple[str, dict[str, object]]]:
    for record in frame.to_dict("records"):
        row = {str(k): v for k, v in record.items()}
        yield labels.get(str(row["workload_hash"]), str(row["workload"])), row


def _flips(rows: Sequence[tuple[str, dict[str, object]]]) -> Iterator[tuple[str, str]]:
    seen: set[tuple[str, str, str]] = set()
    for workload, row in rows:
        for other in filter(None, str(row["flips_with"]).split(", ")):
            a, b = sorted((str(row["engine"]), other))
            if (workload, a, b) not in seen:
                seen.add((workload, a, b))
                yield workload, f"{a} and {b}"


def _undecided(rows: Sequence[tuple[str, dict[str, object]]]) -> Iterator[tuple[str, str]]:
    by_workload: dict[str, list[dict[str, object]]] = {}
    for workload, row in rows:
        by_workload.setdefault(workload, []).append(row)
    for workload, group in by_workload.items():
        ordered = sorted(group, key=lambda r: -float(str(r["ops_per_s"])))
        for here, below in pairwise(ordered):
            flipped = str(below["engine"]) in str(here["flips_with"]).split(", ")
            if here["decided"] is False and not flipped:
                yield workload, f"{here['engine']} over {below['engine']}"


def _extreme(row: Mapping[str, object]) -> str:
    max_us, p999 = float(str(row["max_us"])), float(str(row["p999_us"]))
    return f"{row['engine']} {format_fixed(max_us)} µs ({max_us / p999:.0f}×)"


def _seconds(value: object) -> str:
    return f"{float(str(value)):.3g} s"


def _intervals(value: object) -> str:
    count = int(str(value))
    return f"{count} interval{'s' if count != 1 else ''}"


def _percent(value: object) -> str:
    # One decimal: a CV of 10.4 % is above the 10 % limit and must not read as "10%".
    return f"{float(str(value)):.1%}"


def _range(row: Mapping[str, object]) -> str:
    return format_range(float(str(row["ops_low"])), float(str(row["ops_high"])))


def load_generator_warnings(manifest: Mapping[str, object]) -> list[str]:
    """One line per trial whose load generator, not the engine, may have been the limit."""
    warnings = []
    saturation = client_checks(manifest).set_index("trial")
    trials = manifest.get("trials")
    for trial in trials if isinstance(trials, list) else []:
        measure = (trial.get("load_generator") or {}).get("measure") or {}
        where = f"{trial.get('workload')} on {trial.get('engine')}, trial {trial.get('trial')}"
        if saturation.loc[int(trial["trial"]), "client_saturated"] is True:
            busiest = float(str(saturation.loc[int(trial["trial"]), "busiest_client_process"]))
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
