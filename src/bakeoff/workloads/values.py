"""Payloads: random ASCII values handed out from a pre-built pool."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import islice
from typing import Final, cast

import numpy as np

from bakeoff.workloads.lengths import make_length_chooser
from bakeoff.workloads.model import LengthDistribution

# -- payloads ------------------------------------------------------------------------

# Letters and digits only: payloads may reach engines through protocols or tools that treat
# quotes, backslashes or spaces specially. 62 symbols still give ~5.95 bits per byte, more
# than YCSB's own RandomByteIterator (32 symbols, 5 bits).
_ALPHABET: Final = np.frombuffer(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", dtype=np.uint8
)
# Caps the pool so that huge field lengths do not allocate size * length bytes.
_POOL_BYTE_LIMIT: Final = 64 * 1024 * 1024
_STREAM_MIN: Final = 16384


class ValuePool:
    """Pre-built random ASCII payloads so that no random string is built per operation.

    `size` payloads are built once, with lengths drawn from `length`; if they would exceed
    64 MiB, fewer are kept (at least one). Calls hand out pool entries in a random order
    that is drawn in bulk, so a call only walks an iterator. Lengths follow the pool's
    empirical distribution, which for the default 4096 payloads is close to `length`.
    """

    def __init__(
        self, length: LengthDistribution, rng: np.random.Generator, size: int = 4096
    ) -> None:
        if size < 1:
            raise ValueError(f"a value pool needs at least one payload, got {size=}")
        self._rng = rng
        lengths = make_length_chooser(length, rng).choose(size)
        ends = np.cumsum(lengths)
        keep = max(1, int(np.searchsorted(ends, _POOL_BYTE_LIMIT, side="right")))
        lengths, ends = lengths[:keep], ends[:keep]
        text = _ALPHABET[rng.integers(0, _ALPHABET.size, int(ends[-1]))].tobytes().decode("ascii")
        starts = cast("list[int]", (ends - lengths).tolist())
        stops = cast("list[int]", ends.tolist())
        payloads = [text[s:e] for s, e in zip(starts, stops, strict=True)]
        self._pool = np.array(payloads, dtype=object)
        self._stream_size = max(_STREAM_MIN, 4 * keep)
        self._stream: Iterator[str] = iter(())
        self._left = 0

    def _picks(self, n: int) -> list[str]:
        picked = cast("list[str]", self._pool[self._rng.integers(0, self._pool.size, n)].tolist())
        return picked

    def _reserve(self, n: int) -> bool:
        """Make n payloads available from the stream; False if n exceeds a whole stream."""
        if n > self._left:
            if n > self._stream_size:
                return False
            self._stream = iter(self._picks(self._stream_size))
            self._left = self._stream_size
        self._left -= n
        return True

    def values(self, n: int) -> list[str]:
        """n payloads."""
        if not self._reserve(n):
            return self._picks(n)
        return list(islice(self._stream, n))

    def record(self, field_names: Sequence[str]) -> dict[str, str]:
        """One payload per field."""
        if not self._reserve(len(field_names)):
            return dict(zip(field_names, self._picks(len(field_names)), strict=True))
        # zip stops at the end of the names without drawing an extra payload, so the shared
        # iterator avoids building an intermediate list per record.
        return dict(zip(field_names, self._stream))  # noqa: B905
