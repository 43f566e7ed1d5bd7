"""Availability figures from interval rows: detection, the unavailable window, recovery
to 90 % of the baseline, and p99 before, during and after a fault."""

from __future__ import annotations

import numpy as np

from bakeoff.core.histogram import encode, new_histogram, record_bulk
from bakeoff.core.measures import IntervalRow, LatencyKind, Phase
from bakeoff.results.availability import availability, intervals

WIDTH = 0.25


def _row(i: int, ok: int, errors: int = 0, latency_us: int = 100) -> IntervalRow:
    hist = new_histogram()
    if ok:
        record_bulk(hist, np.full(ok, latency_us * 1000, dtype=np.int64))
    return IntervalRow(
        phase=Phase.MEASURE,
        operation="read",
        latency_kind=LatencyKind.SERVICE,
        interval=i,
        start_s=i * WIDTH,
        duration_s=WIDTH,
        count=ok,
        not_found=0,
        errors_transient=0,
        errors_fatal=errors,
        errors_unsupported=0,
        histogram=encode(hist) if ok else "",
    )


def _fault(started: float, ended: float | None) -> dict[str, object]:
    return {"fault": "at=2s,kill", "node_name": "node1", "started_s": started, "ended_s": ended}


def test_a_kill_detected_at_once_unavailable_then_recovered() -> None:
    # 2 s at 1000 ops/s (250 an interval), an error, 1 s with nothing (those intervals
    # have no rows at all), a slow interval, then back to normal for 2 s.
    rows = [_row(i, 250) for i in range(8)]
    rows += [_row(8, 0, errors=3)]
    rows += [_row(13, 100, latency_us=5000)]
    rows += [_row(i, 250, latency_us=200) for i in range(14, 22)]
    (figures,) = availability(intervals(rows), [_fault(2.0, 3.0)])
    assert figures["baseline_ops_per_s"] == 1000.0
    assert figures["detect_s"] == 0.0
    assert figures["unavailable_s"] == 1.25  # the error interval and four empty ones
    assert figures["recovery_s"] == 1.5  # from 2.0 to the interval starting at 3.5
    assert float(str(figures["p99_before_us"])) < 110
    assert float(str(figures["p99_during_us"])) > 4900
    assert 190 < float(str(figures["p99_after_us"])) < 210
    assert figures["resolution_s"] == WIDTH


def test_a_fault_that_shows_nothing_has_no_detection_and_recovers_at_once() -> None:
    rows = [_row(i, 250) for i in range(16)]
    (figures,) = availability(intervals(rows), [_fault(2.0, 3.0)])
    assert figures["detect_s"] is None
    assert figures["unavailable_s"] == 0.0
    assert figures["recovery_s"] == 0.0


def test_an_outage_to_the_end_of_the_phase_never_recovers() -> None:
    rows = [_row(i, 250) for i in range(8)] + [_row(8, 0, errors=1), _row(15, 0, errors=1)]
    (figures,) = availability(intervals(rows), [_fault(2.0, None)])
    assert figures["recovery_s"] is None
    assert figures["p99_after_us"] is None
    assert figures["unavailable_s"] == 2.0


def test_each_fault_is_judged_up_to_the_next_one() -> None:
    rows = [_row(i, 250) for i in range(8)] + [_row(8, 0, errors=1)]
    rows += [_row(i, 250) for i in range(9, 24)]
    first, second = availability(
        intervals(rows), [_fault(2.0, 2.5), {**_fault(4.0, 4.5), "applied": False, "error": "x"}]
    )
    assert first["unavailable_s"] == 0.25 and first["recovery_s"] == 0.25
    assert second["error"] == "x" and "detect_s" not in second


def test_the_baseline_of_a_later_fault_leaves_out_the_earlier_outage() -> None:
    rows = [_row(i, 250) for i in range(4)] + [_row(4, 0, errors=1)]
    rows += [_row(i, 250) for i in range(12, 24)]  # nothing from 1.25 s to 3 s
    _, second = availability(intervals(rows), [_fault(1.0, 1.5), _fault(4.0, 4.5)])
    assert second["baseline_ops_per_s"] == 1000.0
    assert second["recovery_s"] == 0.0


def test_an_operator_action_does_not_end_the_window_of_the_fault_it_answers() -> None:
    # A primary killed at 2 s, a replica promoted at 2.5 s, throughput back at 3.5 s.
    rows = [_row(i, 250) for i in range(8)] + [_row(8, 0, errors=2)]
    rows += [_row(i, 250) for i in range(14, 24)]
    kill = {**_fault(2.0, None), "kind": "kill"}
    promote = {**_fault(2.5, 2.5), "kind": "promote", "fault": "at=2.5s,promote"}
    (figures,) = availability(intervals(rows), [kill, promote])
    assert figures["fault"] == "at=2s,kill"
    assert figures["recovery_s"] == 1.5


def test_an_outage_at_the_end_counts_to_the_end_of_the_phase() -> None:
    # Nothing completed after 2 s, so the rows stop there; the phase lasted 3.9 s.
    rows = [_row(i, 250) for i in range(8)] + [_row(8, 0, errors=1)]
    (figures,) = availability(intervals(rows, phase_s=3.9), [_fault(2.0, None)])
    assert figures["unavailable_s"] == 1.9
    assert figures["recovery_s"] is None


def test_the_next_fault_s_interval_is_not_this_fault_s_symptom() -> None:
    # A degraded link from 1 s shows no error; the kill at 3.0001 s errs at once.
    rows = [_row(i, 250) for i in range(4)] + [_row(i, 100) for i in range(4, 12)]
    rows += [_row(12, 0, errors=5)]
    first, _ = availability(intervals(rows), [_fault(1.0, 3.0), _fault(3.0001, None)])
    assert first["detect_s"] is None


def test_recovery_starts_with_an_interval_back_at_the_baseline() -> None:
    # Slow (a degraded link) until 3 s, then faster than before: the stretch from 2.75 s
    # averages above 90 %, but its first interval is still slow.
    rows = [_row(i, 250) for i in range(8)] + [_row(i, 25) for i in range(8, 12)]
    rows += [_row(i, 400) for i in range(12, 20)]
    (figures,) = availability(intervals(rows), [_fault(2.0, 3.0)])
    assert figures["recovery_s"] == 1.0
