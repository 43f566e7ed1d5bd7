"""Field and scan lengths drawn from a length distribution."""

from __future__ import annotations

from typing import Final, Protocol

import numpy as np

from bakeoff.workloads.model import ConstantLength, LengthDistribution, UniformLength, ZipfianLength
from bakeoff.workloads.zipf import IntArray, Zipf

# -- lengths -------------------------------------------------------------------------


class LengthChooser(Protocol):
    def choose(self, n: int) -> IntArray:
        """n lengths (field lengths or scan lengths)."""
        ...


class _ConstantLengths:
    def __init__(self, value: int) -> None:
        self._value = value

    def choose(self, n: int) -> IntArray:
        return np.full(n, self._value, dtype=np.int64)


class _UniformLengths:
    def __init__(self, low: int, high: int, rng: np.random.Generator) -> None:
        self._low, self._high = low, high
        self._rng = rng

    def choose(self, n: int) -> IntArray:
        return self._rng.integers(self._low, self._high, n, dtype=np.int64, endpoint=True)


# YCSB's ZipfianGenerator(min, max) default constant, used for zipfian field and scan lengths.
_LENGTH_THETA: Final = 0.99


class _ZipfianLengths:
    def __init__(self, low: int, high: int, rng: np.random.Generator) -> None:
        self._zipf = Zipf(high - low + 1, _LENGTH_THETA)
        self._low = low
        self._rng = rng

    def choose(self, n: int) -> IntArray:
        out = self._zipf.draw(n, self._rng)
        out += self._low
        return out


def make_length_chooser(dist: LengthDistribution, rng: np.random.Generator) -> LengthChooser:
    """constant; uniform over [min, max] inclusive; zipfian over [min, max], min most frequent."""
    match dist:
        case ConstantLength():
            return _ConstantLengths(dist.value)
        case UniformLength():
            return _UniformLengths(dist.min, dist.max, rng)
        case ZipfianLength():
            return _ZipfianLengths(dist.min, dist.max, rng)
    raise TypeError(f"unknown length distribution {dist!r}")
