from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt
import pytest

from bakeoff.adapters.errors import ErrorKind
from bakeoff.core import histogram as hdr
from bakeoff.core.measures import IntervalRow, LatencyKind, Phase
from bakeoff.harness.recorder import Outcome, Recorder, merge_rows, outcome_for

S = 1_000_000_000
START = 5 * S
OPS = ("read", "update")


@dataclass
class Chunk:
    ops: npt.NDArray[np.uint8]
    ends: npt.NDArray[np.int64]
    service: npt.NDArray[np.int64]
    outcomes: npt.NDArray[np.uint8]
    response: npt.NDArray[np.int64]

    def __getitem__(self, s: slice | npt.NDArray[np.bool_] | npt.NDArray[np.int64]) -> Chunk:
        return Chunk(self.ops[s], self.ends[s], self.service[s], self.outcomes[s], self.response[s])

    def __len__(self) -> int:
        return len(self.ops)


def make_ops(
    ops: list[int],
    ends: list[int],
    service: list[int],
    outcomes: list[int] | None = None,
    response: list[int] | None = None,
) -> Chunk:
    return Chunk(
        np.array(ops, dtype=np.uint8),
        np.array(ends, dtype=np.int64),
        np.array(service, dtype=np.int64),
        np.array(outcomes if outcomes is not None else [0] * len(ops), dtype=np.uint8),
        np.array(response if response is not None else service, dtype=np.int64),
    )


def random_run(seed: int, n: int = 30_000, seconds: int = 7, error_rate: float = 0.05) -> Chunk:
    """A worker's completions in time order: a 95/5 op mix, lognormal latencies, some errors."""
    rng = np.random.default_rng(seed)
    ends = START + np.sort(rng.integers(0, seconds * S, n))
    service = np.exp(rng.normal(np.log(200_000), 1.0, n)).astype(np.int64)
    outcomes = np.where(
        rng.random(n) < error_rate, rng.integers(1, len(Outcome), n), Outcome.OK
    ).astype(np.uint8)
    return Chunk(
        ops=(rng.random(n) < 0.05).astype(np.uint8),
        ends=ends,
        service=service,
        outcomes=outcomes,
        response=service + rng.integers(0, 5_000_000, n),
    )


def feed(rec: Recorder, run: Chunk, chunk: int = 1024, response: bool = False) -> None:
    for i in range(0, len(run), chunk):
        part = run[slice(i, i + chunk)]
        rec.add_chunk(
            part.ops,
            part.ends,
            part.service,
            part.outcomes,
            part.response if response else None,
        )


def reference_rows(run: Chunk, end_ns: int, response: bool) -> list[IntervalRow]:
    """One op at a time with hdrh's record_value: what the vectorised recorder must equal."""
    counts: dict[tuple[int, int], list[int]] = {}
    hists: dict[tuple[int, int, LatencyKind], hdr.Histogram] = {}
    errors: dict[tuple[int, int, LatencyKind, str], list[int]] = {}
    kinds = [LatencyKind.SERVICE, LatencyKind.RESPONSE] if response else [LatencyKind.SERVICE]
    for op, end, service, outcome, resp in zip(
        cast("list[int]", run.ops.tolist()),
        cast("list[int]", run.ends.tolist()),
        cast("list[int]", run.service.tolist()),
        cast("list[int]", run.outcomes.tolist()),
        cast("list[int]", run.response.tolist()),
        strict=True,
    ):
        interval = (end - START) // S
        counts.setdefault((interval, op), [0] * len(Outcome))[outcome] += 1
        for kind in kinds:
            if (interval, op, kind) not in hists:
                hists[(interval, op, kind)] = hdr.new_histogram()
            hist = hists[(interval, op, kind)]
            value = service if kind is LatencyKind.SERVICE else resp
            if outcome == Outcome.OK:
                hist.record_value(min(max(value, 1), hdr.HIGHEST_NS))
            elif outcome != Outcome.NOT_FOUND:
                error = errors.setdefault((interval, op, kind, ERROR_KINDS[outcome]), [])
                error.append(min(max(value, 1), hdr.HIGHEST_NS))
    rows = []
    for (interval, op), c in counts.items():
        for kind in kinds:
            rows.append(
                IntervalRow(
                    phase=Phase.MEASURE,
                    operation=OPS[op],
                    latency_kind=kind,
                    interval=interval,
                    start_s=float(interval),
                    duration_s=min(S, end_ns - (START + interval * S)) / 1e9,
                    count=c[0],
                    not_found=c[1],
                    errors_transient=c[2],
                    errors_fatal=c[3],
                    errors_unsupported=c[4],
                    histogram=hdr.encode(hists[(interval, op, kind)]),
                    error_histograms=tuple(
                        (name, _encode_values(errors[(interval, op, kind, name)]))
                        for name in sorted(ERROR_KINDS.values())
                        if (interval, op, kind, name) in errors
                    ),
                )
            )
    kind_order = {LatencyKind.SERVICE: 0, LatencyKind.RESPONSE: 1}
    rows.sort(key=lambda r: (r.operation, kind_order[r.latency_kind], r.interval))
    return rows


ERROR_KINDS: dict[int, str] = {
    Outcome.TRANSIENT: "transient",
    Outcome.FATAL: "fatal",
    Outcome.UNSUPPORTED: "unsupported",
}


def _encode_values(values: list[int]) -> str:
    hist = hdr.new_histogram()
    for value in values:
        hist.record_value(value)
    return hdr.encode(hist)


@pytest.mark.parametrize("response", [False, True])
@pytest.mark.parametrize("chunk", [1, 300, 1024, 100_000])
def test_rows_equal_a_per_operation_reference(response: bool, chunk: int) -> None:
    run = random_run(1, n=3_000 if chunk == 1 else 30_000)
    end_ns = int(run.ends[-1]) + 12_345
    rec = Recorder(OPS, Phase.MEASURE, start_ns=START, response_time=response)
    feed(rec, run, chunk=chunk, response=response)
    assert rec.rows(end_ns) == reference_rows(run, end_ns, response)
    assert rec.total_ops == len(run)


@pytest.mark.parametrize("response", [False, True])
def test_narrow_latencies_counted_in_one_table_equal_the_reference(response: bool) -> None:
    # The no-op adapter's latencies (a few hundred ns) span few buckets: the recorder
    # counts such chunks in one dense table rather than per bucket found.
    run = random_run(2, n=20_000)
    rng = np.random.default_rng(3)
    run = dataclasses.replace(
        run, service=rng.integers(80, 700, len(run)), response=rng.integers(80, 900, len(run))
    )
    end_ns = int(run.ends[-1]) + 1
    rec = Recorder(OPS, Phase.MEASURE, start_ns=START, response_time=response)
    feed(rec, run, chunk=1024, response=response)
    assert rec.rows(end_ns) == reference_rows(run, end_ns, response)


def test_live_histograms_keep_the_exact_least_and_greatest_value() -> None:
    rec = Recorder(OPS, Phase.MEASURE, start_ns=START)
    run = make_ops([0, 1, 0, 1], [START + 1, START + 2, START + 3, START + 4], [350, 90, 123, 7])
    rec.add_chunk(run.ops, run.ends, run.service, run.outcomes)
    live = {key[2]: hist for key, hist in rec._live.items()}
    assert (live[0].min_value, live[0].max_value) == (123, 350)
    assert (live[1].min_value, live[1].max_value) == (7, 90)


def test_interval_assignment_at_boundaries() -> None:
    ends = [START, START + S - 1, START + S, START + 2 * S - 1, START + 3 * S]
    run = make_ops([0] * 5, ends, [1_000, 2_000, 3_000, 4_000, 5_000])
    rec = Recorder(OPS, Phase.MEASURE, start_ns=START)
    feed(rec, run)
    rows = rec.rows(START + 3 * S + 500_000_000)
    assert [(r.interval, r.count) for r in rows] == [(0, 2), (1, 2), (3, 1)]
    assert [r.start_s for r in rows] == [0.0, 1.0, 3.0]
    assert [r.duration_s for r in rows] == [1.0, 1.0, 0.5]
    assert [hdr.decode(r.histogram).max_value for r in rows] == [
        hdr.decode(hdr.encode(reference_hist([v]))).max_value for v in (2_000, 4_000, 5_000)
    ]


def reference_hist(values: list[int]) -> hdr.Histogram:
    hist = hdr.new_histogram()
    for v in values:
        hist.record_value(v)
    return hist


def test_custom_interval_width() -> None:
    rec = Recorder(OPS, Phase.WARMUP, start_ns=0, interval_ns=250_000_000)
    feed(rec, make_ops([1, 1, 1], [0, 249_999_999, 250_000_000], [10, 20, 30]))
    rows = rec.rows(300_000_000)
    assert [(r.interval, r.start_s, r.duration_s, r.count) for r in rows] == [
        (0, 0.0, 0.25, 2),
        (1, 0.25, 0.05, 1),
    ]
    assert {r.phase for r in rows} == {Phase.WARMUP}
    assert {r.operation for r in rows} == {"update"}


def test_errors_are_counted_per_kind_and_absent_from_histograms() -> None:
    outcomes = [Outcome.OK, Outcome.NOT_FOUND, Outcome.TRANSIENT, Outcome.TRANSIENT]
    outcomes += [Outcome.FATAL, Outcome.UNSUPPORTED, Outcome.OK]
    n = len(outcomes)
    # Failed operations get absurd latencies: any leak into the histogram would show in max.
    service = [1_000 if o == Outcome.OK else 10**12 for o in outcomes]
    rec = Recorder(OPS, Phase.MEASURE, start_ns=START)
    feed(rec, make_ops([0] * n, [START + i for i in range(n)], service, list(outcomes)))
    (row,) = rec.rows(START + S)
    assert (row.count, row.not_found, row.errors_transient) == (2, 1, 2)
    assert (row.errors_fatal, row.errors_unsupported) == (1, 1)
    hist = hdr.decode(row.histogram)
    assert hist.total_count == 2
    assert hdr.percentiles_us(hist)["max_us"] < 1.01
    assert rec.total_ops == n


def test_error_only_intervals_have_rows_with_empty_histograms() -> None:
    run = make_ops(
        [0, 1, 1, 0],
        [START, START + S + 1, START + S + 2, START + 2 * S],
        [100, 200, 300, 400],
        [Outcome.OK, Outcome.TRANSIENT, Outcome.NOT_FOUND, Outcome.FATAL],
    )
    rec = Recorder(OPS, Phase.MEASURE, start_ns=START, response_time=True)
    feed(rec, run, response=True)
    rows = rec.rows(START + 3 * S)
    summary = [(r.operation, r.latency_kind.value, r.interval, r.count) for r in rows]
    assert summary == [
        ("read", "service", 0, 1),
        ("read", "service", 2, 0),
        ("read", "response", 0, 1),
        ("read", "response", 2, 0),
        ("update", "service", 1, 0),
        ("update", "response", 1, 0),
    ]
    error_only = [r for r in rows if r.count == 0]
    assert all(hdr.decode(r.histogram).total_count == 0 for r in error_only)
    assert {(r.errors_fatal, r.errors_transient, r.not_found) for r in error_only} == {
        (1, 0, 0),
        (0, 1, 1),
    }


def test_response_and_service_are_kept_apart() -> None:
    n = 1_000
    service = [1_000] * n
    response = [1_000_000] * n
    rec = Recorder(OPS, Phase.MEASURE, start_ns=START, response_time=True)
    feed(
        rec,
        make_ops([0] * n, [START + i for i in range(n)], service, response=response),
        response=True,
    )
    by_kind = {r.latency_kind: r for r in rec.rows(START + S)}
    assert set(by_kind) == {LatencyKind.SERVICE, LatencyKind.RESPONSE}
    service_p50 = hdr.percentiles_us(hdr.decode(by_kind[LatencyKind.SERVICE].histogram))["p50_us"]
    response_p50 = hdr.percentiles_us(hdr.decode(by_kind[LatencyKind.RESPONSE].histogram))
    assert service_p50 == pytest.approx(1.0, rel=1e-3)
    assert response_p50["p50_us"] == pytest.approx(1_000.0, rel=1e-3)
    assert by_kind[LatencyKind.SERVICE].count == by_kind[LatencyKind.RESPONSE].count == n


def test_service_only_recorder_has_no_response_rows() -> None:
    rec = Recorder(OPS, Phase.MEASURE, start_ns=START)
    feed(rec, make_ops([0, 1], [START, START + 1], [5, 6]))
    assert {r.latency_kind for r in rec.rows(START + S)} == {LatencyKind.SERVICE}


def test_merging_workers_equals_one_recorder_of_everything() -> None:
    run = random_run(2)
    end_ns = int(run.ends[-1]) + 1
    one = Recorder(OPS, Phase.MEASURE, start_ns=START, response_time=True)
    feed(one, run, response=True)

    # Three workers with their own interleaved share of the same completions.
    worker_of = np.random.default_rng(2).integers(0, 3, len(run))
    rows: list[IntervalRow] = []
    for w in range(3):
        rec = Recorder(OPS, Phase.MEASURE, start_ns=START, response_time=True)
        feed(rec, run[worker_of == w], chunk=512, response=True)
        rows += rec.rows(end_ns)
    assert merge_rows(rows) == one.rows(end_ns)
    assert merge_rows(one.rows(end_ns)) == one.rows(end_ns)


def test_merge_rows_takes_longest_duration_and_sorts() -> None:
    base = IntervalRow(
        phase=Phase.MEASURE,
        operation="read",
        latency_kind=LatencyKind.SERVICE,
        interval=3,
        start_s=3.0,
        duration_s=0.25,
        count=0,
        not_found=1,
        errors_transient=0,
        errors_fatal=0,
        errors_unsupported=0,
        histogram=hdr.encode(hdr.new_histogram()),
    )
    rows = [
        base,
        dataclasses.replace(base, duration_s=0.5, not_found=2),
        dataclasses.replace(base, phase=Phase.LOAD, operation="insert"),
        dataclasses.replace(base, latency_kind=LatencyKind.RESPONSE),
        dataclasses.replace(base, interval=1, start_s=1.0, duration_s=1.0),
        dataclasses.replace(base, phase=Phase.WARMUP, operation="zzz"),
    ]
    merged = merge_rows(rows)
    keys = [(r.phase.value, r.operation, r.latency_kind.value, r.interval) for r in merged]
    assert keys == [
        ("load", "insert", "service", 3),
        ("warmup", "zzz", "service", 3),
        ("measure", "read", "service", 1),
        ("measure", "read", "service", 3),
        ("measure", "read", "response", 3),
    ]
    assert (merged[3].duration_s, merged[3].not_found) == (0.5, 3)


def test_going_back_to_an_encoded_interval_is_exact() -> None:
    run = random_run(3, n=5_000, seconds=4)
    end_ns = int(run.ends[-1]) + 1
    in_order = Recorder(OPS, Phase.MEASURE, start_ns=START)
    feed(in_order, run)
    shuffled = Recorder(OPS, Phase.MEASURE, start_ns=START)
    order = np.random.default_rng(3).permutation(len(run))
    feed(shuffled, run[order], chunk=700)
    assert shuffled.rows(end_ns) == in_order.rows(end_ns)


def test_live_histograms_stay_bounded_by_the_current_interval() -> None:
    run = random_run(4, n=20_000, seconds=50)
    rec = Recorder(OPS, Phase.MEASURE, start_ns=START, response_time=True)
    feed(rec, run, chunk=256, response=True)
    # per operation and latency kind: the successes' histogram and one per error kind
    assert len(rec._live) <= len(OPS) * 2 * (1 + len(ERROR_KINDS))
    assert len(rec.rows(int(run.ends[-1]))) == 50 * len(OPS) * 2


def test_rows_can_be_taken_while_recording_goes_on() -> None:
    run = random_run(5, n=4_000, seconds=3)
    end_ns = int(run.ends[-1]) + 1
    whole = Recorder(OPS, Phase.MEASURE, start_ns=START)
    feed(whole, run)
    rec = Recorder(OPS, Phase.MEASURE, start_ns=START)
    feed(rec, run[: len(run) // 2])
    rec.rows(int(run.ends[len(run) // 2]))
    feed(rec, run[len(run) // 2 :])
    assert rec.rows(end_ns) == whole.rows(end_ns)


def test_chunk_spanning_a_huge_gap() -> None:
    # With 1 ns intervals a 3 ms stall inside one chunk spans 3 million intervals.
    ends = [0, 1, 3_000_000, 3_000_000]
    rec = Recorder(OPS, Phase.MEASURE, start_ns=0, interval_ns=1)
    feed(rec, make_ops([0, 1, 0, 1], ends, [10, 20, 30, 40]))
    rows = rec.rows(3_000_001)
    assert [(r.interval, r.operation, r.count) for r in rows] == [
        (0, "read", 1),
        (3_000_000, "read", 1),
        (1, "update", 1),
        (3_000_000, "update", 1),
    ]


def test_clamped_latencies_are_recorded_and_counted() -> None:
    rec = Recorder(OPS, Phase.MEASURE, start_ns=START, response_time=True)
    chunk = make_ops(
        [0, 0, 0],
        [START, START + 1, START + 2],
        [0, 500, hdr.HIGHEST_NS + 1],
        [Outcome.OK, Outcome.OK, Outcome.OK],
        response=[10, 2 * hdr.HIGHEST_NS, 500],
    )
    feed(rec, chunk, response=True)
    assert rec.clamped() == 3
    assert all(hdr.decode(r.histogram).total_count == 3 for r in rec.rows(START + S))


def test_clamps_of_failed_operations_are_counted_as_their_latency_is_kept() -> None:
    rec = Recorder(OPS, Phase.MEASURE, start_ns=START)
    feed(rec, make_ops([0], [START], [-1], [Outcome.FATAL]))
    assert rec.clamped() == 1


def test_a_stall_that_ends_in_an_error_keeps_its_latency_apart_from_the_successes() -> None:
    # A paused engine: quick successes, then one call that hangs 5 s and times out.
    rec = Recorder(OPS, Phase.MEASURE, start_ns=START)
    feed(
        rec,
        make_ops(
            [0, 0, 0, 1],
            [START + 1_000, START + 2_000, START + 5 * S, START + 5 * S + 10],
            [500, 600, 5 * S, 700],
            [Outcome.OK, Outcome.OK, Outcome.TRANSIENT, Outcome.NOT_FOUND],
        ),
    )
    rows = {(r.operation, r.interval): r for r in rec.rows(START + 6 * S)}
    first, stalled, missing = rows["read", 0], rows["read", 5], rows["update", 5]
    assert hdr.decode(first.histogram).get_total_count() == 2
    assert first.error_histograms == ()
    assert (stalled.count, stalled.errors_transient) == (0, 1)
    assert hdr.decode(stalled.histogram).get_total_count() == 0
    ((kind, encoded),) = stalled.error_histograms
    errors = hdr.decode(encoded)
    assert kind == "transient"
    assert errors.get_total_count() == 1
    assert errors.get_max_value() >= 5 * S * 0.999
    # Not-found results are counted, their latency kept nowhere (as before).
    assert (missing.not_found, missing.error_histograms) == (1, ())
    assert hdr.decode(missing.histogram).get_total_count() == 0


def test_merged_rows_merge_each_error_kinds_histogram() -> None:
    rows = []
    for worker, outcome in enumerate([Outcome.FATAL, Outcome.TRANSIENT, Outcome.TRANSIENT]):
        rec = Recorder(OPS, Phase.MEASURE, start_ns=START)
        feed(
            rec, make_ops([0, 0], [START + 1, START + 2], [10, 1_000 * (worker + 1)], [0, outcome])
        )
        rows.extend(rec.rows(START + S))
    (merged,) = merge_rows(rows)
    assert (merged.count, merged.errors_transient, merged.errors_fatal) == (3, 2, 1)
    assert [kind for kind, _ in merged.error_histograms] == ["fatal", "transient"]
    by_kind = {kind: hdr.decode(text) for kind, text in merged.error_histograms}
    assert by_kind["transient"].get_total_count() == 2
    assert by_kind["fatal"].get_total_count() == 1
    assert hdr.decode(merged.histogram).get_total_count() == 3


def test_invalid_chunks_are_rejected() -> None:
    rec = Recorder(OPS, Phase.MEASURE, start_ns=START)
    good = make_ops([0], [START], [10])
    with pytest.raises(ValueError, match="response_ns"):
        rec.add_chunk(good.ops, good.ends, good.service, good.outcomes, good.response)
    with pytest.raises(ValueError, match="length"):
        rec.add_chunk(good.ops, good.ends[:0], good.service, good.outcomes)
    with pytest.raises(ValueError, match="operation index"):
        rec.add_chunk(np.array([2], dtype=np.uint8), good.ends, good.service, good.outcomes)
    with pytest.raises(ValueError, match="outcome"):
        rec.add_chunk(good.ops, good.ends, good.service, np.array([9], dtype=np.uint8))
    with pytest.raises(ValueError, match="before"):
        rec.add_chunk(good.ops, good.ends - S, good.service, good.outcomes)
    with pytest.raises(ValueError, match="response_ns"):
        Recorder(OPS, Phase.MEASURE, start_ns=START, response_time=True).add_chunk(
            good.ops, good.ends, good.service, good.outcomes
        )
    assert rec.total_ops == 0
    rec.add_chunk(good.ops, good.ends, good.service, good.outcomes)
    with pytest.raises(ValueError, match="end_ns"):
        rec.rows(START - 1)


def test_empty_chunk_and_empty_recorder() -> None:
    rec = Recorder(OPS, Phase.MEASURE, start_ns=START)
    empty = make_ops([], [], [])
    rec.add_chunk(empty.ops, empty.ends, empty.service, empty.outcomes)
    assert rec.rows(START + S) == []
    assert (rec.total_ops, rec.clamped()) == (0, 0)


def test_constructor_validation() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        Recorder(["a", "a"], Phase.MEASURE, start_ns=0)
    with pytest.raises(ValueError, match="at least one"):
        Recorder([], Phase.MEASURE, start_ns=0)
    with pytest.raises(ValueError, match="interval_ns"):
        Recorder(OPS, Phase.MEASURE, start_ns=0, interval_ns=0)


def test_outcome_for_error_kinds() -> None:
    assert outcome_for(ErrorKind.TRANSIENT) is Outcome.TRANSIENT
    assert outcome_for(ErrorKind.FATAL) is Outcome.FATAL
    assert outcome_for(ErrorKind.UNSUPPORTED) is Outcome.UNSUPPORTED
    assert {outcome_for(k) for k in ErrorKind} | {Outcome.OK, Outcome.NOT_FOUND} == set(Outcome)
