"""Payloads: random ASCII values handed out from a pre-built pool."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, cast

import numpy as np
import numpy.typing as npt

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
    that is drawn in bulk (a stream of pool positions), so a call only slices it. Lengths
    follow the pool's empirical distribution, which for the default 4096 payloads is close
    to `length`.
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
        self._maps: dict[str, npt.NDArray[Any]] = {}
        self._stream_size = max(_STREAM_MIN, 4 * keep)
        self._positions: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)
        self._next = 0

    def _draw(self, n: int) -> npt.NDArray[np.int64]:
        return self._rng.integers(0, self._pool.size, n)

    def _next_positions(self, n: int) -> npt.NDArray[np.int64]:
        """The pool positions of the next n payloads: the stream's next n, or n drawn
        apart when n exceeds a whole stream."""
        if n > self._positions.size - self._next:
            if n > self._stream_size:
                return self._draw(n)
            self._positions = self._draw(self._stream_size)
            self._next = 0
        start = self._next
        self._next += n
        return self._positions[start : start + n]

    def values(self, n: int) -> list[str]:
        """n payloads."""
        # Gathered per call: a list of the whole stream's payloads, kept between calls,
        # was walked by every collection of the cycle collector while it lived.
        return cast("list[str]", self._pool[self._next_positions(n)].tolist())

    def value_maps(self, field_name: str, n: int) -> list[dict[str, str]]:
        """n one-field values {field_name: payload}, the payloads `values` would give.

        The dicts are built once per pool entry and handed out again: a dict per
        operation cost more than the no-op operation it is for. Nobody may change them
        (adapters take values as a read-only Mapping).
        """
        maps = self._maps.get(field_name)
        if maps is None:
            maps = np.empty(self._pool.size, dtype=object)
            maps[:] = [{field_name: payload} for payload in self._pool.tolist()]  # type: ignore[assignment]
            self._maps[field_name] = maps
        return cast("list[dict[str, str]]", maps[self._next_positions(n)].tolist())

    def record(self, field_names: Sequence[str]) -> dict[str, str]:
        """One payload per field."""
        return dict(zip(field_names, self.values(len(field_names)), strict=True))
