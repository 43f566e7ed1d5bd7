"""Typed, vectorised helpers around hdrh's HdrHistogram (values in nanoseconds).

hdrh records one value per Python call (~1 µs each), which would dominate the cost of a fast
operation. `record_bulk` folds a whole numpy array into the same counts array with the same
bucketing arithmetic, so the result is indistinguishable from a `record_value` loop.

This is the one HdrHistogram codec of bakeoff. Reading goes the other way just as fast:
`Decoder` adds encoded histograms straight into reused `Counts` (a large report decodes a
quarter of a million of them), and `merge_encoded` and the summaries use those.
"""

from __future__ import annotations

import binascii
import math
import sys
import zlib
from collections.abc import Iterable
from functools import cache
from typing import Any, NamedTuple, cast

import numpy as np
import numpy.typing as npt
from hdrh.codec import HdrCookieException, HdrHistogramSettingsException, HdrLengthException
from hdrh.codec import decode as _decode_counts
from hdrh.histogram import HdrHistogram

try:
    # ISA-L inflates hdrh's small zlib payloads about 1.5x faster than zlib, and
    # inflating is a third of the time a large report takes.
    from isal.isal_zlib import decompress as _inflate
    from isal.isal_zlib import error as _isal_error  # a class, though its stubs say not

    _INFLATE_ERRORS: tuple[type[Exception], ...] = (zlib.error, cast(Any, _isal_error))
except ImportError:  # isal is a dependency; without it zlib gives the same bytes
    from zlib import decompress as _inflate

    _INFLATE_ERRORS = (zlib.error,)

LOWEST_NS = 1
HIGHEST_NS = 3_600_000_000_000
"""One hour: anything slower is clamped (and counted) rather than dropped."""
SIGNIFICANT_DIGITS = 3


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


def add_counts(
    hist: Histogram,
    where: slice | npt.NDArray[np.int64],
    counts: npt.NDArray[np.uint64],
    lowest_ns: int,
    highest_ns: int,
) -> None:
    """Add `counts` to `hist`'s counters at `where` (a slice, or distinct counts indices),
    as `record_value` would for values whose least and greatest are `lowest_ns` and
    `highest_ns`; the recorder computes the indices of a whole chunk at once."""
    counts_view(hist)[where] += counts
    hist.total_count += int(counts.sum())
    hist.min_value = min(hist.min_value, lowest_ns)
    hist.max_value = max(hist.max_value, highest_ns)


def record_bulk(hist: Histogram, values_ns: npt.NDArray[np.int64]) -> int:
    """Record every value as `hist.record_value` would; returns how many were clamped.

    Values above the histogram's highest trackable value, or below 1, are recorded at that bound
    (hdrh would silently drop them), so the caller can report them instead of losing them.
    """
    highest = int(hist.highest_trackable_value)
    if highest >= _EXACT_FLOAT_LIMIT:
        raise ValueError(f"highest trackable value {highest} is too large for record_bulk")
    values = np.asarray(values_ns, dtype=np.int64)
    if values.size == 0:
        return 0
    clipped = np.minimum(np.maximum(values, LOWEST_NS), highest)
    clamped = int(np.count_nonzero(clipped != values))
    indices, counts = np.unique(counts_indices(hist, clipped), return_counts=True)
    add_counts(hist, indices, counts.astype(np.uint64), int(clipped.min()), int(clipped.max()))
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


class HistogramError(ValueError):
    """An encoded histogram that cannot be decoded: damaged, or not a histogram at all."""


# What base64, zlib, ISA-L and hdrh's codec raise on bytes that are not a histogram.
_HDR_ERRORS = (HdrCookieException, HdrLengthException, HdrHistogramSettingsException)
_DECODING_ERRORS = (ValueError, TypeError, *_INFLATE_ERRORS, *_HDR_ERRORS)


def _not_a_histogram(encoded: object, exc: BaseException) -> HistogramError:
    shown = repr(encoded) if len(repr(encoded)) <= 40 else repr(encoded)[:37] + "..."
    return HistogramError(f"a histogram payload cannot be decoded ({shown}: {exc!r})")


def decode(s: str) -> Histogram:
    try:
        return HdrHistogram.decode(s)
    except _DECODING_ERRORS as exc:
        raise _not_a_histogram(s, exc) from None


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
    merged = Counts()
    Decoder().add_all((merged, s) for s in encoded)
    return merged.histogram()


# -- the bucket layout, as tables -------------------------------------------------------


class BucketValues(NamedTuple):
    """Per counts index, the values hdrh gives that bucket (ns)."""

    lowest: npt.NDArray[np.int64]
    highest: npt.NDArray[np.int64]
    median: npt.NDArray[np.int64]
    """What hdrh weighs a bucket by in its mean and standard deviation."""


def bucket_values(hist: Histogram | None = None) -> BucketValues:
    """The bucket tables of `hist`'s layout (default: the standard histogram's)."""
    if hist is None:
        return _standard_buckets()
    return _buckets(
        int(hist.counts_len),
        int(hist.sub_bucket_half_count_magnitude),
        int(hist.sub_bucket_half_count),
        int(hist.unit_magnitude),
    )


@cache
def _standard_buckets() -> BucketValues:
    return bucket_values(new_histogram())


@cache
def _buckets(
    counts_len: int, half_magnitude: int, half_count: int, unit_magnitude: int
) -> BucketValues:
    # hdrh's value_from_index and its lowest/highest/median equivalents, for every index.
    index = np.arange(counts_len, dtype=np.int64)
    bucket = (index >> half_magnitude) - 1
    sub_bucket = (index & (half_count - 1)) + half_count
    first = bucket < 0
    sub_bucket[first] -= half_count
    bucket[first] = 0
    shift = bucket + unit_magnitude
    lowest = np.left_shift(sub_bucket, shift)
    width = np.left_shift(np.int64(1), shift)
    return BucketValues(lowest, lowest + width - 1, lowest + np.right_shift(width, 1))


def _summary_us(
    counts: npt.NDArray[np.uint64], low: int, total: int, buckets: BucketValues
) -> dict[str, float]:
    """mean, percentiles and max in µs of `counts`, the counters from index `low` on."""
    keys = ("mean_us", *(k for k, _ in _PERCENTILES), "max_us")
    if total == 0:
        return dict.fromkeys(keys, math.nan)
    nonzero = np.flatnonzero(counts)
    # hdrh weights each bucket by its median equivalent value and sums exactly in integers.
    medians = buckets.median[low + nonzero]
    weights = counts[nonzero].astype(np.int64)
    if total * int(medians.max()) < 2**62:
        mean_ns = int(np.dot(weights, medians)) / total
    else:
        mean_ns = sum(int(w) * int(m) for w, m in zip(weights, medians, strict=True)) / total
    result = {"mean_us": mean_ns / 1000.0}
    cumulative = np.cumsum(counts)
    for key, percentile in _PERCENTILES:
        # hdrh: the first bucket whose cumulative count reaches int(p × total / 100 + 0.5).
        target = max(int(percentile * total / 100 + 0.5), 1)
        index = int(np.searchsorted(cumulative, target, side="left"))
        result[key] = int(buckets.highest[low + index]) / 1000.0
    result["max_us"] = int(buckets.highest[low + int(nonzero[-1])]) / 1000.0
    return result


def percentiles_us(hist: Histogram) -> dict[str, float]:
    """mean and percentiles in µs, identical to hdrh's answers but computed without a
    Python loop over the 33k counters (hdrh's get_mean_value takes tens of ms)."""
    return _summary_us(counts_view(hist), 0, int(hist.total_count), bucket_values(hist))


# -- merging many encoded histograms fast ----------------------------------------------


class Counts:
    """A histogram being merged: its counters and the range of them that was touched.

    A trial uses few of the standard layout's 33k counters, so adding, summarising and
    clearing work on the touched range only.
    """

    __slots__ = ("counts", "high", "low", "total")

    def __init__(self) -> None:
        self.counts = np.zeros(len(_standard_buckets().lowest), dtype=np.uint64)
        self.low = len(self.counts)
        self.high = -1
        self.total = 0

    def add_counts(self, counts: npt.NDArray[np.uint64], low: int, total: int) -> None:
        """Add counters that start at index `low`."""
        high = low + len(counts) - 1
        self.counts[low : high + 1] += counts
        self.low = min(self.low, low)
        self.high = max(self.high, high)
        self.total += total

    def add(self, other: Counts) -> None:
        if other.total:
            self.add_counts(other.touched(), other.low, other.total)

    def touched(self) -> npt.NDArray[np.uint64]:
        return self.counts[self.low : self.high + 1]

    def summary_us(self) -> dict[str, float]:
        """`percentiles_us` of this histogram, the same numbers to the last bit."""
        return _summary_us(self.touched(), self.low, self.total, _standard_buckets())

    def histogram(self) -> Histogram:
        """An hdrh histogram holding these counts, in the state `decode` leaves one."""
        hist = new_histogram()
        if self.total:
            counts_view(hist)[self.low : self.high + 1] = self.touched()
            hist.set_internal_tacking_values(self.low, self.high, self.total)
        return hist

    def clear(self) -> None:
        if self.high >= 0:
            self.counts[self.low : self.high + 1] = 0
        self.low = len(self.counts)
        self.high = -1
        self.total = 0


_WORD = 8
"""Bytes per counter in the standard layout (and in hdrh's V2 encoding)."""
_PAYLOAD_HEADER = 40


@cache
def _standard_header() -> tuple[bytes, bytes, bytes]:
    """The cookie, payload cookie and layout bytes every standard encoding starts with."""
    raw = binascii.a2b_base64(encode(new_histogram()))
    payload = zlib.decompress(raw[8:])
    # Everything after the payload length: index offset, precision, value range.
    return raw[:4], payload[:4], payload[8:_PAYLOAD_HEADER]


class Decoder:
    """Adds encoded histograms into `Counts` without building an HdrHistogram for each.

    hdrh's decode allocates and initialises a 33k-counter histogram per call, which is
    most of its cost (a 100-run report decodes a quarter of a million); here hdrh's C
    codec decodes the varint payload into one scratch array, whose touched range is
    added to the target and cleared again. Not thread-safe: one per thread.
    """

    def __init__(self) -> None:
        self._cookie, self._payload_cookie, self._layout = _standard_header()
        self._template = new_histogram()
        self._length = int(self._template.counts_len)
        self._scratch = np.zeros(self._length, dtype=np.uint64)
        self._address = int(self._scratch.ctypes.data)

    def add(self, target: Counts, encoded: str) -> None:
        self.add_all(((target, encoded),))

    def add_all(self, work: Iterable[tuple[Counts, str]]) -> None:
        """Add each encoded histogram to its target. The loop that decides how fast a
        report is: names are bound locally and nothing is allocated but the payload."""
        a2b, inflate, decode_into = binascii.a2b_base64, _inflate, _decode_counts
        cookie, payload_cookie, layout = self._cookie, self._payload_cookie, self._layout
        scratch, address, length = self._scratch, self._address, self._length
        encoded: object = None
        try:
            for target, encoded in work:
                raw = a2b(encoded)
                if not raw.startswith(cookie):
                    self._add_other(target, encoded)
                    continue
                payload = inflate(memoryview(raw)[8:])
                if not (payload.startswith(payload_cookie) and payload.startswith(layout, 8)):
                    self._add_other(target, encoded)
                    continue
                found = decode_into(payload, _PAYLOAD_HEADER, address, length, _WORD)
                total = found["total"]
                if not total:
                    continue
                low = found["min_nonzero_index"]
                high = found["max_nonzero_index"]
                touched = scratch[low : high + 1]
                target.counts[low : high + 1] += touched
                touched.fill(0)
                target.low = min(target.low, low)
                target.high = max(target.high, high)
                target.total += total
        except _DECODING_ERRORS as exc:
            scratch.fill(0)  # a payload decoded halfway must not leak into the next one
            known = isinstance(exc, HistogramError)  # from `_add_other`, already said
            raise (exc if known else _not_a_histogram(encoded, exc)) from None

    def _add_other(self, target: Counts, encoded: str) -> None:
        # Another encoding or layout: hdrh decodes it; a different layout cannot merge.
        hist = decode(encoded)
        if not _same_layout(hist, self._template):
            raise ValueError("cannot merge histograms with a different bucket layout")
        counts = counts_view(hist)
        nonzero = np.flatnonzero(counts)
        if len(nonzero) == 0:
            return
        low, high = int(nonzero[0]), int(nonzero[-1])
        target.add_counts(counts[low : high + 1], low, int(counts.sum()))
