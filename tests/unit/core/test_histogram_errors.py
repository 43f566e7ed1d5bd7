"""A payload that is not a histogram is one HistogramError, whichever decoder meets it."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from bakeoff.core.histogram import (
    Counts,
    Decoder,
    HistogramError,
    decode,
    encode,
    merge_encoded,
    new_histogram,
    record_bulk,
)


def _good() -> str:
    hist = new_histogram()
    record_bulk(hist, np.array([1_000, 2_000, 3_000], dtype=np.int64))
    return encode(hist)


def _flipped(encoded: str) -> str:
    raw = bytearray(base64.b64decode(encoded))
    raw[12] ^= 0xFF
    return base64.b64encode(bytes(raw)).decode()


BAD = {
    "not base64": "%%%",
    "base64 of text": base64.b64encode(b"HISTOGRAM garbage").decode(),
    "truncated": _good()[:20],
    "bit-flipped payload": _flipped(_good()),
    "not text": None,
}


@pytest.mark.parametrize("payload", BAD.values(), ids=BAD.keys())
def test_a_bad_payload_is_a_histogram_error(payload: str) -> None:
    for decoding in (decode, lambda p: Decoder().add(Counts(), p), lambda p: merge_encoded([p])):
        with pytest.raises(HistogramError, match="a histogram payload cannot be decoded"):
            decoding(payload)


def test_a_decoder_that_met_a_bad_payload_still_decodes_good_ones() -> None:
    decoder = Decoder()
    with pytest.raises(HistogramError):
        decoder.add_all([(Counts(), _good()), (Counts(), _flipped(_good()))])
    counts, fresh = Counts(), Counts()
    decoder.add(counts, _good())
    Decoder().add(fresh, _good())
    assert counts.total == 3
    assert counts.summary_us() == fresh.summary_us()
