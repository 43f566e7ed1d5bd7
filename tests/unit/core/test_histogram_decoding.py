"""The fast path of the one HdrHistogram codec: bucket tables and `Decoder` into `Counts`
give exactly what hdrh's own decoder and methods give."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hdrh.histogram import HdrHistogram

from bakeoff.core.histogram import (
    Counts,
    Decoder,
    bucket_values,
    counts_view,
    encode,
    new_histogram,
    percentiles_us,
)
from bakeoff.core.histogram import record_bulk as hdr_record_bulk


def test_bucket_tables_match_hdrh() -> None:
    hist = new_histogram()
    for index in range(int(hist.counts_len)):
        value = hist.get_value_from_index(index)
        assert bucket_values().lowest[index] == hist.get_lowest_equivalent_value(value)
        assert bucket_values().highest[index] == hist.get_highest_equivalent_value(value)
        assert bucket_values().median[index] == hist._hdr_median_equiv_value(value)


@pytest.mark.parametrize("seed", range(5))
def test_fast_decoding_equals_hdrh(seed: int) -> None:
    rng = np.random.default_rng(seed)
    encoded = []
    for _ in range(20):
        hist = new_histogram()
        n = int(rng.integers(0, 3000))
        values = rng.lognormal(np.log(rng.uniform(1e3, 1e8)), rng.uniform(0.1, 2.0), n)
        hdr_record_bulk(hist, values.astype(np.int64))
        # Now and then a huge count, which takes more varint bytes.
        if n and rng.random() < 0.3:
            hist.record_value(int(values[0]) or 1, 10**12)
        encoded.append(encode(hist))
    counts = Counts()
    Decoder().add_all((counts, s) for s in encoded)
    # The reference sums what hdrh's own decoder reads (merge_encoded uses Decoder too).
    decoded = [HdrHistogram.decode(s) for s in encoded]
    reference = new_histogram()
    counts_view(reference)[:] = sum(counts_view(h) for h in decoded)
    nonzero = np.flatnonzero(counts_view(reference))
    total = sum(int(h.total_count) for h in decoded)
    if total:
        reference.set_internal_tacking_values(int(nonzero[0]), int(nonzero[-1]), total)
    assert counts.total == reference.total_count
    assert (counts.counts == np.frombuffer(reference.counts, dtype=np.uint64)).all()
    assert counts.summary_us() == percentiles_us(reference)
    empty = Counts()
    assert all(math.isnan(v) for v in empty.summary_us().values())


def test_a_histogram_of_another_layout_is_refused() -> None:
    other = HdrHistogram(1, 1_000_000, 2)
    other.record_value(1000)
    counts = Counts()
    with pytest.raises(ValueError, match="different bucket layout"):
        Decoder().add(counts, other.encode().decode("ascii"))
