"""One trial of a capacity search, measured and judged as a step (docs/capacity.md)."""

from __future__ import annotations

import math
from collections.abc import Mapping

from bakeoff.core.histogram import merge_encoded, percentiles_us
from bakeoff.core.measures import LatencyKind, Phase
from bakeoff.harness.trial import TrialRecord
from bakeoff.results.capacity_search import SearchRule, Step
from bakeoff.results.slo import Measured, Slo, judge

_KEYS = ("p50", "p90", "p99", "p999")


def measured(record: TrialRecord, target_rate: float) -> Measured:
    """What the measured phase of `record` achieved, with percentiles of RESPONSE time
    (intended start), never service time."""
    rows = [r for r in record.rows if r.phase is Phase.MEASURE]
    response = [r for r in rows if r.latency_kind is LatencyKind.RESPONSE]
    service = [r for r in rows if r.latency_kind is LatencyKind.SERVICE]
    percentiles = latency_percentiles(record, LatencyKind.RESPONSE)
    succeeded = sum(r.count + r.not_found for r in service)
    failed = sum(r.errors_transient + r.errors_fatal + r.errors_unsupported for r in service)
    report = _phase_report(record)
    wall_s = _number(report.get("wall_s"))
    # A trial that failed before its measured phase has no report: it achieved nothing.
    achieved = _number(report.get("achieved_ops_per_s")) or 0.0
    failure = record.error if record.status != "ok" else None
    if failure is None and not response:
        failure = "no response time was recorded (the step ran in a closed loop)"
    notes = (
        ["the load generator was saturated: the client, not the engine, may be the limit"]
        if report.get("client_saturated") is True
        else []
    )
    return Measured(
        target_rate=target_rate,
        achieved_rate=achieved,
        percentiles_us=percentiles,
        error_rate=failed / (succeeded + failed) if succeeded + failed else 0.0,
        duration_s=wall_s or 0.0,
        failure=failure,
        notes=notes,
    )


def latency_percentiles(record: TrialRecord, kind: LatencyKind) -> dict[str, float]:
    """p50, p90, p99 and p999 in µs of the measured phase's successes, of one latency
    kind (NaN where none was recorded)."""
    histogram = merge_encoded(
        r.histogram
        for r in record.rows
        if r.phase is Phase.MEASURE and r.latency_kind is kind and r.histogram
    )
    summary = percentiles_us(histogram) if histogram.total_count else {}
    return {k: float(summary.get(f"{k}_us", math.nan)) for k in _KEYS}


def step_of(
    record: TrialRecord, number: int, target_rate: float, slo: Slo, rule: SearchRule
) -> Step:
    """`record` as step `number` of a search: measured, judged, with its reasons."""
    m = measured(record, target_rate)
    reasons = judge(m, slo, rule.tolerance)
    return Step(
        step=number,
        trial=record.trial,
        repetition=record.repetition,
        target_rate=target_rate,
        achieved_rate=round(m.achieved_rate, 3),
        percentiles_us={k: v for k, v in m.percentiles_us.items() if not math.isnan(v)},
        error_rate=m.error_rate,
        duration_s=round(m.duration_s, 3),
        accepted=not reasons,
        reasons=reasons,
    )


def _phase_report(record: TrialRecord) -> Mapping[str, object]:
    report = record.load_generator.get(Phase.MEASURE.value)
    return report if isinstance(report, Mapping) else {}


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
