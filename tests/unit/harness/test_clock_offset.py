"""Clock offsets from round trips: the shortest round trip bounds the offset."""

from __future__ import annotations

import time

import pytest

from bakeoff.harness.clock_offset import estimate, measure


def test_the_shortest_round_trip_gives_the_offset_and_half_of_it_the_uncertainty() -> None:
    # Remote clock = ours + 1_000_000; the remote read happens mid-way on the short trip.
    samples = [(0, 1_000_500, 2_000), (10_000, 1_010_100, 10_200), (20_000, 1_025_000, 29_000)]
    offset = estimate(samples)
    assert offset.offset_ns == 1_000_000
    assert offset.uncertainty_ns == 100
    assert offset.round_trips == 3
    assert offset.to_remote(5) == 1_000_005


def test_the_true_offset_lies_within_the_uncertainty_wherever_the_remote_read_fell() -> None:
    true = -7_000_000_000
    for read_at in (100, 150, 199):  # anywhere inside the round trip [100, 200]
        offset = estimate([(100, read_at + true, 200)])
        assert abs(offset.offset_ns - true) <= offset.uncertainty_ns


def test_a_clock_read_here_has_an_offset_near_zero() -> None:
    offset = measure(time.perf_counter_ns, round_trips=5)
    assert abs(offset.offset_ns) <= offset.uncertainty_ns + 1


def test_no_round_trip_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        estimate([])
