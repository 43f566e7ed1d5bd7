"""Skewed draws shared by the key and length generators: FNV-1a hashing and YCSB's
zipfian core (Gray et al.'s approximation, as YCSB's ZipfianGenerator)."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Final

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]

# -- hashing -------------------------------------------------------------------------

_FNV_OFFSET_BASIS_64: Final = np.uint64(0xCBF29CE484222325)
_FNV_PRIME_64: Final = np.uint64(1099511628211)
_OCTET: Final = np.uint64(0xFF)
_SHIFTS: Final = tuple(np.uint64(8 * i) for i in range(8))


def fnv1a_64(values: IntArray) -> IntArray:
    """YCSB's `Utils.fnvhash64`, element-wise.

    The result is `Math.abs` of the signed hash, so it is non-negative except for the one
    hash equal to -2**63, which stays negative exactly as it does in Java.
    """
    octets = np.ascontiguousarray(values, dtype=np.int64).view(np.uint64)
    hashed = np.full(octets.shape, _FNV_OFFSET_BASIS_64, dtype=np.uint64)
    scratch = np.empty_like(hashed)
    for shift in _SHIFTS:
        np.right_shift(octets, shift, out=scratch)
        np.bitwise_and(scratch, _OCTET, out=scratch)
        np.bitwise_xor(hashed, scratch, out=hashed)
        # uint64 array arithmetic wraps modulo 2**64 without warnings, as Java's long does.
        np.multiply(hashed, _FNV_PRIME_64, out=hashed)
    result: IntArray = np.abs(hashed.view(np.int64))
    return result


# -- zipfian core --------------------------------------------------------------------

_ZETA_HEAD: Final = 1 << 16


@lru_cache(maxsize=16)
def _zeta_prefix(theta: float) -> npt.NDArray[np.float64]:
    terms = np.arange(1, _ZETA_HEAD + 1, dtype=np.float64) ** -theta
    return np.cumsum(terms)


def zeta(n: int, theta: float) -> float:
    """sum(i ** -theta for i in 1..n).

    Exact summation up to 2**16 terms; beyond, the head plus an Euler-Maclaurin tail. The
    first omitted tail term is of order a**-(theta+5) / 30240 with a = 2**16, far below
    double precision, so this agrees with YCSB's term-by-term loop (which would need 10**10
    iterations for its scrambled item space) while costing O(1).
    """
    if n <= 0:
        return 0.0
    prefix = _zeta_prefix(theta)
    if n <= _ZETA_HEAD:
        return float(prefix[n - 1])
    a, b = float(_ZETA_HEAD), float(n)
    one_minus = 1.0 - theta
    # a**(1-theta) * expm1(...) avoids cancellation when theta is close to 1.
    integral = math.pow(a, one_minus) * math.expm1(one_minus * math.log(b / a)) / one_minus
    f_a, f_b = math.pow(a, -theta), math.pow(b, -theta)
    d1_a, d1_b = -theta * math.pow(a, -theta - 1), -theta * math.pow(b, -theta - 1)
    k3 = -theta * (theta + 1) * (theta + 2)
    d3_a, d3_b = k3 * math.pow(a, -theta - 3), k3 * math.pow(b, -theta - 3)
    tail = integral + (f_a + f_b) / 2 + (d1_b - d1_a) / 12 - (d3_b - d3_a) / 720
    # The tail covers a..n inclusive, and the prefix already holds the term for a.
    return float(prefix[-1]) - f_a + tail


class Zipf:
    """Gray et al.'s zipfian over [0, items), rank 0 most popular (YCSB ZipfianGenerator)."""

    __slots__ = ("_alpha", "_eta", "_items", "_u0", "_u1")

    def __init__(self, items: int, theta: float, zetan: float | None = None) -> None:
        if items < 1:
            raise ValueError(f"a zipfian needs at least one item, got {items}")
        zn = zeta(items, theta) if zetan is None else zetan
        zeta2 = zeta(2, theta)
        self._items = items
        self._alpha = 1.0 / (1.0 - theta)
        # With two items or fewer the closed form is never reached (0/0 for two items).
        self._eta = 0.0
        if items > 2:
            self._eta = (1.0 - math.pow(2.0 / items, 1.0 - theta)) / (1.0 - zeta2 / zn)
        # YCSB compares u * zetan with 1 and 1 + 0.5**theta; dividing once is cheaper.
        self._u0 = 1.0 / zn
        self._u1 = zeta2 / zn

    def draw(self, n: int, rng: np.random.Generator) -> IntArray:
        u = rng.random(n)
        x = u * self._eta
        x += 1.0 - self._eta
        # Below u1 the closed form is unused but would take a fractional power of a
        # negative number; clamping keeps numpy from warning about NaNs.
        np.maximum(x, 0.0, out=x)
        np.power(x, self._alpha, out=x)
        x *= self._items
        ranks = x.astype(np.int64)
        ranks[u < self._u1] = 1
        ranks[u < self._u0] = 0
        # Guards the float rounding of items * (something just below 1) ** alpha.
        np.minimum(ranks, self._items - 1, out=ranks)
        return ranks
