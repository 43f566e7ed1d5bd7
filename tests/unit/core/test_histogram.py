from __future__ import annotations

import math
import sys
from typing import cast

import numpy as np
import numpy.typing as npt
import pytest
from hdrh.histogram import HdrHistogram

from bakeoff.core import histogram as hdr

PERCENTILES = (50.0, 90.0, 99.0, 99.9)


def edge_values() -> list[int]:
    """Values at and around every bucket boundary, plus out-of-range ones."""
    edges = [-(2**40), -1, 0, 1, 2, 1023, 1024, 1025, 2047, 2048, 2049]
    for shift in range(12, hdr.HIGHEST_NS.bit_length() + 1):
        power = 1 << shift
        edges += [power - 1, power, power + 1, power + (power >> 1)]
    edges += [hdr.HIGHEST_NS - 1, hdr.HIGHEST_NS, hdr.HIGHEST_NS + 1, 2**62, 2**63 - 1]
    return edges


def random_values(seed: int, n: int = 20_000) -> npt.NDArray[np.int64]:
    rng = np.random.default_rng(seed)
    log_uniform = np.exp(rng.uniform(0.0, math.log(10e9), n)).astype(np.int64)
    typical = np.exp(rng.normal(math.log(150_000), 1.2, n)).astype(np.int64)
    return np.concatenate([log_uniform, typical, np.array(edge_values(), dtype=np.int64)])


def reference(values: npt.NDArray[np.int64]) -> hdr.Histogram:
    hist = hdr.new_histogram()
    for v in cast("list[int]", np.clip(values, hdr.LOWEST_NS, hdr.HIGHEST_NS).tolist()):
        assert hist.record_value(v)
    return hist


def assert_same(a: hdr.Histogram, b: hdr.Histogram) -> None:
    assert np.array_equal(hdr.counts_view(a), hdr.counts_view(b))
    assert a.total_count == b.total_count
    assert a.min_value == b.min_value
    assert a.max_value == b.max_value
    assert hdr.encode(a) == hdr.encode(b)


def hdrh_percentiles_us(hist: hdr.Histogram) -> dict[str, float]:
    """The same summary computed by hdrh's own (slow) methods."""
    by_p = hist.get_percentile_to_value_dict(list(PERCENTILES))
    return {
        "mean_us": hist.get_mean_value() / 1000.0,
        "p50_us": by_p[50.0] / 1000.0,
        "p90_us": by_p[90.0] / 1000.0,
        "p99_us": by_p[99.0] / 1000.0,
        "p999_us": by_p[99.9] / 1000.0,
        "max_us": hist.get_max_value() / 1000.0,
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_record_bulk_equals_record_value_loop(seed: int) -> None:
    values = random_values(seed)
    bulk = hdr.new_histogram()
    hdr.record_bulk(bulk, values)
    expected = reference(values)
    assert_same(bulk, expected)
    assert hdr.percentiles_us(bulk) == hdrh_percentiles_us(expected)


def test_counts_indices_match_hdrh_at_every_bucket_edge() -> None:
    hist = hdr.new_histogram()
    values, _ = hdr.clamp(np.array(edge_values(), dtype=np.int64))
    expected = [hist._counts_index_for(v) for v in cast("list[int]", values.tolist())]
    assert hdr.counts_indices(hist, values).tolist() == expected


def test_record_bulk_counts_and_applies_clamps() -> None:
    values = np.array([-5, 0, 1, 7, hdr.HIGHEST_NS, hdr.HIGHEST_NS + 1, 2**62], dtype=np.int64)
    hist = hdr.new_histogram()
    assert hdr.record_bulk(hist, values) == 4
    assert hist.total_count == len(values)
    assert hist.min_value == 1
    assert hist.max_value == hdr.HIGHEST_NS
    assert_same(hist, reference(values))


def test_record_bulk_accumulates_across_calls_and_with_record_value() -> None:
    values = random_values(4, n=2_000)
    hist = hdr.new_histogram()
    hist.record_value(123_456)
    for part in np.array_split(values, 7):
        hdr.record_bulk(hist, part)
    expected = reference(values)
    expected.record_value(123_456)
    assert_same(hist, expected)


def test_record_bulk_of_nothing_leaves_histogram_empty() -> None:
    hist = hdr.new_histogram()
    assert hdr.record_bulk(hist, np.array([], dtype=np.int64)) == 0
    assert_same(hist, hdr.new_histogram())
    assert hist.min_value == sys.maxsize


def test_record_bulk_does_not_modify_its_input() -> None:
    values = np.array([5, 3, 2**62, 1], dtype=np.int64)
    hdr.record_bulk(hdr.new_histogram(), values)
    assert values.tolist() == [5, 3, 2**62, 1]


def test_encode_decode_round_trip() -> None:
    hist = hdr.new_histogram()
    hdr.record_bulk(hist, random_values(5))
    encoded = hdr.encode(hist)
    assert isinstance(encoded, str)
    decoded = hdr.decode(encoded)
    assert np.array_equal(hdr.counts_view(decoded), hdr.counts_view(hist))
    assert decoded.total_count == hist.total_count
    assert hdr.encode(decoded) == encoded
    assert hdr.percentiles_us(decoded) == hdr.percentiles_us(hist)


def test_merge_encoded_equals_one_histogram_of_all_values() -> None:
    values = random_values(6)
    parts = np.array_split(np.random.default_rng(6).permutation(values), 3)
    encoded = []
    for part in parts:
        hist = hdr.new_histogram()
        hdr.record_bulk(hist, part)
        encoded.append(hdr.encode(hist))
    encoded.append(hdr.encode(hdr.new_histogram()))
    whole = hdr.new_histogram()
    hdr.record_bulk(whole, values)

    merged = hdr.merge_encoded(encoded)
    assert np.array_equal(hdr.counts_view(merged), hdr.counts_view(whole))
    assert merged.total_count == whole.total_count
    assert hdr.encode(merged) == hdr.encode(whole)
    assert hdr.percentiles_us(merged) == hdr.percentiles_us(whole)
    # Same min/max convention as a plain decode of the whole.
    decoded = hdr.decode(hdr.encode(whole))
    assert (merged.min_value, merged.max_value) == (decoded.min_value, decoded.max_value)


def test_merge_encoded_of_nothing_is_empty() -> None:
    merged = hdr.merge_encoded([])
    assert merged.total_count == 0
    assert hdr.encode(merged) == hdr.encode(hdr.new_histogram())
    merged = hdr.merge_encoded([hdr.encode(hdr.new_histogram())] * 2)
    assert merged.total_count == 0
    assert merged.min_value == sys.maxsize


def test_merge_encoded_rejects_other_layouts() -> None:
    other = HdrHistogram(1, 1_000_000, 2)
    other.record_value(10)
    with pytest.raises(ValueError, match="layout"):
        hdr.merge_encoded([hdr.encode(other)])


def test_percentiles_of_empty_histogram_are_nan() -> None:
    summary = hdr.percentiles_us(hdr.new_histogram())
    assert set(summary) == {"mean_us", "p50_us", "p90_us", "p99_us", "p999_us", "max_us"}
    assert all(math.isnan(v) for v in summary.values())


def test_percentiles_of_tiny_histograms_match_hdrh() -> None:
    for values in ([1], [1, 2], [5_000], [999, 1_000, 1_001, 10**9], [hdr.HIGHEST_NS]):
        hist = hdr.new_histogram()
        hdr.record_bulk(hist, np.array(values, dtype=np.int64))
        assert hdr.percentiles_us(hist) == hdrh_percentiles_us(hist), values


def test_reset_empties_for_reuse() -> None:
    hist = hdr.new_histogram()
    hdr.record_bulk(hist, random_values(7, n=100))
    hdr.reset(hist)
    assert_same(hist, hdr.new_histogram())
    hdr.record_bulk(hist, np.array([42], dtype=np.int64))
    assert_same(hist, reference(np.array([42], dtype=np.int64)))
