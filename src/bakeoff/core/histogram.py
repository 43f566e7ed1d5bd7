"""Typed, vectorised helpers around hdrh's HdrHistogram (values in nanoseconds).

hdrh records one value per Python call (~1 µs each), which would dominate the cost of a fast
operation. `record_bulk` folds a whole numpy array into the same counts array with the same
bucketing arithmetic, so the result is indistinguishable from a `record_value` loop.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt
from hdrh.histogram import HdrHistogram

LOWEST_NS = 1
HIGHEST_NS = 3_600_000_000_000
"""One hour: anything slower is clamped (and counted) rather than dropped."""
SIGNIFICANT_DIGITS = 3

VALUE_BITS = HIGHEST_NS.bit_length()
"""Clamped values fit in this many bits; the recorder packs a group id above them."""

# frexp on float64 yields the exact bit length only while the value converts exactly.
_EXACT_FLOAT_LIMIT = 1 << 53

Histogram = Any
"""An `hdrh.histogram.HdrHistogram` (hdrh ships no type hints)."""

_PERCENTILES = (("p50_us", 50.0), ("p90_us", 90.0), ("p99_us", 99.0), ("p999_us", 99.9))


def new_histogram() -> Histogram:
    return HdrHistogram(LOWEST_NS, HIGHEST_NS, SIGNIFICANT_DIGITS)


def counts_view(hist: Histogram) -> npt.NDArray[np.uint64]:
    """A writable numpy view of the histogram's live counters (no copy).

    hdrh keeps the counters in a ctypes array that its encoder compresses in place, so writing
    through this view is what `record_value` itself does.
    """
    return np.frombuffer(hist.counts, dtype=np.uint64)


def clamp(values_ns: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], int]:
    """Values clipped to [LOWEST_NS, HIGHEST_NS], and how many had to be moved."""
    # np.clip costs several times more than these two ufuncs on small arrays.
    clipped = np.minimum(np.maximum(values_ns, LOWEST_NS), HIGHEST_NS)
    return clipped, int(np.count_nonzero(clipped != values_ns))


def counts_indices(hist: Histogram, values_ns: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """hdrh's `_counts_index_for` for every value at once; values must already be clamped.

    hdrh: bucket = bit_length(value | sub_bucket_mask) - unit_magnitude - (half_magnitude + 1),
    sub_bucket = value >> (bucket + unit_magnitude),
    index = ((bucket + 1) << half_magnitude) + sub_bucket - sub_bucket_half_count.
    """
    unit_magnitude = int(hist.unit_magnitude)
    half_magnitude = int(hist.sub_bucket_half_count_magnitude)
    masked = np.bitwise_or(values_ns, int(hist.sub_bucket_mask))
    # The biased exponent of an exactly converted float64 is bit_length + 1022; the mask makes
    # every value >= 1, so the sign bit is clear.
    exponent = np.right_shift(masked.astype(np.float64).view(np.int64), 52)
    shift = exponent - (1022 + half_magnitude + 1)  # bucket + unit_magnitude
    offset = ((1 - unit_magnitude) << half_magnitude) - int(hist.sub_bucket_half_count)
    indices: npt.NDArray[np.int64] = np.right_shift(values_ns, shift)
    indices += np.left_shift(shift, half_magnitude)
    indices += offset
    return indices


def record_sorted(hist: Histogram, sorted_ns: npt.NDArray[np.int64]) -> None:
    """Fold values that are already clamped and sorted ascending into `hist`.

    Sorted input turns counting into run-length encoding and gives min/max for free; the
    recorder sorts a whole chunk once and hands each group's slice here.
    """
    n = len(sorted_ns)
    if n == 0:
        return
    indices = counts_indices(hist, sorted_ns)
    # edges = start of every run of equal indices, then n.
    marks = np.empty(n + 1, dtype=np.bool_)
    marks[0] = marks[n] = True
    np.not_equal(indices[1:], indices[:-1], out=marks[1:n])
    edges = marks.nonzero()[0]
    run_lengths = (edges[1:] - edges[:-1]).astype(np.uint64)
    # Run starts have distinct indices, so plain fancy-index += cannot lose increments.
    counts_view(hist)[indices[edges[:-1]]] += run_lengths
    hist.total_count += n
    hist.min_value = min(hist.min_value, int(sorted_ns[0]))
    hist.max_value = max(hist.max_value, int(sorted_ns[-1]))


def record_bulk(hist: Histogram, values_ns: npt.NDArray[np.int64]) -> int:
    """Record every value as `hist.record_value` would; returns how many were clamped.

    Values above the histogram's highest trackable value, or below 1, are recorded at that bound
    (hdrh would silently drop them), so the caller can report them instead of losing them.
    """
    highest = int(hist.highest_trackable_value)
    if highest >= _EXACT_FLOAT_LIMIT:
        raise ValueError(f"highest trackable value {highest} is too large for record_bulk")
    values = np.asarray(values_ns, dtype=np.int64)
    clipped = np.minimum(np.maximum(values, LOWEST_NS), highest)
    clamped = int(np.count_nonzero(clipped != values))
    clipped.sort()
    record_sorted(hist, clipped)
    return clamped


def reset(hist: Histogram) -> None:
    """Empty `hist` for reuse (hdrh's own reset() walks the 33k counters in Python)."""
    counts_view(hist)[:] = 0
    hist.total_count = 0
    hist.min_value = sys.maxsize
    hist.max_value = 0


def encode(hist: Histogram) -> str:
    # hdrh returns the base64 text as bytes.
    encoded: bytes = hist.encode()
    return encoded.decode("ascii")


def decode(s: str) -> Histogram:
    return HdrHistogram.decode(s)


def _same_layout(a: Histogram, b: Histogram) -> bool:
    return bool(
        a.counts_len == b.counts_len
        and a.unit_magnitude == b.unit_magnitude
        and a.sub_bucket_count == b.sub_bucket_count
    )


def merge_encoded(encoded: Iterable[str]) -> Histogram:
    """Exact sum of encoded histograms, as a histogram in the same state `decode` produces.

    hdrh's own `add` is avoided: into an empty histogram it sets min_value to 0 (its
    get_min_value() answers 0 when total_count is 0), and it goes through Python per bucket.
    """
    merged = new_histogram()
    counts = counts_view(merged)
    total = 0
    for s in encoded:
        other = decode(s)
        if not _same_layout(merged, other):
            raise ValueError("cannot merge histograms with a different bucket layout")
        counts += counts_view(other)
        total += int(other.total_count)
    _set_tracking_from_counts(merged, counts, total)
    return merged


def _set_tracking_from_counts(hist: Histogram, counts: npt.NDArray[np.uint64], total: int) -> None:
    # Same min/max convention as hdrh's decode: equivalent values of the outermost buckets.
    nonzero = np.flatnonzero(counts)
    if total == 0 or len(nonzero) == 0:
        hist.total_count = 0
        hist.min_value = sys.maxsize
        hist.max_value = 0
        return
    hist.set_internal_tacking_values(int(nonzero[0]), int(nonzero[-1]), total)


def _value_from_index(hist: Histogram, index: int) -> tuple[int, int]:
    """(lowest equivalent value, bucket index) of a counts index, as hdrh computes them."""
    half_magnitude = int(hist.sub_bucket_half_count_magnitude)
    half_count = int(hist.sub_bucket_half_count)
    bucket = (index >> half_magnitude) - 1
    sub_bucket = (index & (half_count - 1)) + half_count
    if bucket < 0:
        sub_bucket -= half_count
        bucket = 0
    return sub_bucket << (bucket + int(hist.unit_magnitude)), bucket


def _highest_equivalent(hist: Histogram, index: int) -> int:
    lowest, bucket = _value_from_index(hist, index)
    return lowest + (1 << (int(hist.unit_magnitude) + bucket)) - 1


def _mean_ns(hist: Histogram, counts: npt.NDArray[np.uint64], total: int) -> float:
    # hdrh weights each bucket by its median equivalent value and sums exactly in integers.
    indices = np.flatnonzero(counts)
    half_magnitude = int(hist.sub_bucket_half_count_magnitude)
    half_count = int(hist.sub_bucket_half_count)
    unit_magnitude = int(hist.unit_magnitude)
    bucket = np.maximum((indices >> half_magnitude) - 1, 0)
    sub_bucket = np.where(
        indices < 2 * half_count, indices, (indices & (half_count - 1)) + half_count
    )
    lowest = np.left_shift(sub_bucket, bucket + unit_magnitude)
    medians = lowest + np.right_shift(np.left_shift(1, bucket + unit_magnitude), 1)
    weights = counts[indices].astype(np.int64)
    if total * int(medians.max()) < 2**62:
        return int(np.dot(weights, medians)) / total
    return sum(int(w) * int(m) for w, m in zip(weights, medians, strict=True)) / total


def percentiles_us(hist: Histogram) -> dict[str, float]:
    """mean and percentiles in µs, identical to hdrh's answers but computed without a
    Python loop over the 33k counters (hdrh's get_mean_value takes tens of ms)."""
    total = int(hist.total_count)
    keys = ("mean_us", *(k for k, _ in _PERCENTILES), "max_us")
    if total == 0:
        return dict.fromkeys(keys, math.nan)
    counts = counts_view(hist)
    cumulative = np.cumsum(counts)
    result = {"mean_us": _mean_ns(hist, counts, total) / 1000.0}
    for key, percentile in _PERCENTILES:
        target = max(int(percentile * total / 100 + 0.5), 1)
        index = int(np.searchsorted(cumulative, target, side="left"))
        result[key] = _highest_equivalent(hist, index) / 1000.0
    result["max_us"] = _highest_equivalent(hist, int(np.flatnonzero(counts)[-1])) / 1000.0
    return result
