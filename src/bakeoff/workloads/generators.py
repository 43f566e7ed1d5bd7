"""Random choices for the benchmark loop: keys, lengths, operations and payloads.

Everything is drawn in bulk with numpy. A benchmark loop asks for a batch (say 1024 draws)
and walks through it, so no Python-level random call sits in the measured path.

The key distributions follow YCSB's CoreWorkload generators, including its quirks, so that
a YCSB workload imported here loads a database the same way:

* zipfian draws use Gray et al.'s approximation ("Quickly generating billion-record
  synthetic databases", SIGMOD 1994), as YCSB's ZipfianGenerator does. Ranks 0 and 1 are
  exact; later ranks deviate from the exact Zipf pmf by about 1-2% in total variation.
* keys that are drawn but not inserted yet are drawn again, as YCSB's `nextKeynum` does.
* `latest` and `exponential` count back from the newest record (YCSB's SkewedLatestGenerator
  and `nextKeynum`'s special case for ExponentialGenerator).

Every draw is reproducible from (seed, worker, stream) and the sequence of calls made.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from itertools import islice
from typing import Final, Literal, Protocol, cast

import numpy as np
import numpy.typing as npt

from bakeoff.workloads.model import (
    ConstantLength,
    ExponentialKeys,
    HotspotKeys,
    LatestKeys,
    LengthDistribution,
    OperationMix,
    RequestDistribution,
    ScrambledZipfianKeys,
    SequentialKeys,
    UniformKeys,
    UniformLength,
    ZipfianKeys,
    ZipfianLength,
)

__all__ = [
    "KeyChooser",
    "LengthChooser",
    "OperationChooser",
    "ValuePool",
    "fnv1a_64",
    "key_names",
    "make_key_chooser",
    "make_length_chooser",
    "worker_rng",
]

IntArray = npt.NDArray[np.int64]

# -- seeding -------------------------------------------------------------------------


def _stream_code(stream: str) -> int:
    # Python's hash() is salted per process; the stream id must be stable across runs.
    return int.from_bytes(hashlib.blake2b(stream.encode(), digest_size=8).digest(), "little")


def worker_rng(seed: int, worker: int, stream: str) -> np.random.Generator:
    """A generator for one purpose ("keys", "values", ...) of one worker.

    Streams for distinct (worker, stream) pairs are statistically independent: they are
    spawned children of one SeedSequence, not seeds that differ by a small offset.
    """
    if seed < 0 or worker < 0:
        raise ValueError(f"seed and worker must be non-negative, got {seed=} {worker=}")
    sequence = np.random.SeedSequence(entropy=seed, spawn_key=(worker, _stream_code(stream)))
    # PCG64 named explicitly: default_rng's bit generator may change between numpy versions,
    # and results must stay reproducible for a given seed.
    return np.random.Generator(np.random.PCG64(sequence))


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


def _zeta(n: int, theta: float) -> float:
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


class _Zipf:
    """Gray et al.'s zipfian over [0, items), rank 0 most popular (YCSB ZipfianGenerator)."""

    __slots__ = ("_alpha", "_eta", "_items", "_u0", "_u1")

    def __init__(self, items: int, theta: float, zetan: float | None = None) -> None:
        if items < 1:
            raise ValueError(f"a zipfian needs at least one item, got {items}")
        zn = _zeta(items, theta) if zetan is None else zetan
        zeta2 = _zeta(2, theta)
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


_REDRAW_CHUNK_LIMIT: Final = 1 << 20


def _below(draw: Callable[[int], IntArray], n: int, upper: int) -> IntArray:
    """n draws, each drawn again until it is < upper (YCSB: `while (k > lastValue)`).

    Rejected draws are replaced from oversized batches sized by the observed acceptance
    rate, so a batch costs a few numpy calls rather than one per rejection.
    """
    out = draw(n)
    missing = np.flatnonzero(out >= upper)
    drawn, accepted = n, n - missing.size
    while missing.size:
        rate = max(accepted / drawn, 1e-6)
        size = min(int(missing.size / rate * 1.25) + 16, _REDRAW_CHUNK_LIMIT)
        candidates = draw(size)
        candidates = candidates[candidates < upper]
        drawn += size
        accepted += candidates.size
        take = min(candidates.size, missing.size)
        out[missing[:take]] = candidates[:take]
        missing = missing[take:]
    return out


# -- key choosers --------------------------------------------------------------------


class KeyChooser(Protocol):
    def choose(self, n: int, upper: int) -> IntArray:
        """n key indexes in [0, upper).

        `upper` is the number of records currently valid for this worker (it grows as the
        worker inserts); the newest index is upper - 1.
        """
        ...


def _check(n: int, upper: int) -> None:
    if n < 0:
        raise ValueError(f"cannot choose {n} keys")
    if upper < 1:
        raise ValueError(f"no record to choose from (upper={upper})")


class _UniformKeys:
    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng

    def choose(self, n: int, upper: int) -> IntArray:
        _check(n, upper)
        return self._rng.integers(0, upper, n, dtype=np.int64)


class _ZipfianKeys:
    """Item space fixed at construction so that inserts do not shift which keys are hot."""

    def __init__(self, items: int, theta: float, rng: np.random.Generator) -> None:
        self._zipf = _Zipf(items, theta)
        self._rng = rng

    def _draw(self, n: int) -> IntArray:
        return self._zipf.draw(n, self._rng)

    def choose(self, n: int, upper: int) -> IntArray:
        _check(n, upper)
        return _below(self._draw, n, upper)


# YCSB's ScrambledZipfianGenerator draws ranks over a fixed space of 10**10 (+1) items and
# hardcodes that space's zeta for the default constant.
_SCRAMBLED_ITEMS: Final = 10_000_000_000 + 1
_SCRAMBLED_THETA: Final = 0.99
_SCRAMBLED_ZETAN: Final = 26.46902820178302


class _ScrambledZipfianKeys:
    def __init__(self, items: int, theta: float, rng: np.random.Generator) -> None:
        zetan = _SCRAMBLED_ZETAN if theta == _SCRAMBLED_THETA else None
        self._zipf = _Zipf(_SCRAMBLED_ITEMS, theta, zetan)
        self._items = np.int64(items)
        self._rng = rng

    def _draw(self, n: int) -> IntArray:
        hashed = fnv1a_64(self._zipf.draw(n, self._rng))
        # np.remainder is non-negative even for the single negative hash value.
        result: IntArray = np.remainder(hashed, self._items)
        return result

    def choose(self, n: int, upper: int) -> IntArray:
        _check(n, upper)
        return _below(self._draw, n, upper)


class _LatestKeys:
    def __init__(self, theta: float, rng: np.random.Generator) -> None:
        self._theta = theta
        self._rng = rng
        self._zipf: _Zipf | None = None
        self._items = 0

    def choose(self, n: int, upper: int) -> IntArray:
        _check(n, upper)
        if self._zipf is None or self._items != upper:
            # O(1) to rebuild: zeta comes from a cached prefix or the Euler-Maclaurin tail.
            self._zipf = _Zipf(upper, self._theta)
            self._items = upper
        ages = self._zipf.draw(n, self._rng)
        result: IntArray = (upper - 1) - ages
        return result


class _HotspotKeys:
    def __init__(self, spec: HotspotKeys, rng: np.random.Generator) -> None:
        self._data = spec.hot_data_fraction
        self._ops = spec.hot_operation_fraction
        self._rng = rng

    def choose(self, n: int, upper: int) -> IntArray:
        _check(n, upper)
        hot_n = int(upper * self._data)
        cold_n = upper - hot_n
        if hot_n == 0 or cold_n == 0:
            # One set is empty (YCSB divides by zero here); every key is alike, so uniform.
            return self._rng.integers(0, upper, n, dtype=np.int64)
        # One uniform decides hot or cold and, rescaled, the position inside that set.
        u = self._rng.random(n)
        h = self._ops
        out = np.empty(n, dtype=np.int64)
        hot = u < h
        if h > 0:
            out[hot] = np.minimum((u[hot] * (hot_n / h)).astype(np.int64), hot_n - 1)
        if h < 1:
            cold = ~hot
            offsets = ((u[cold] - h) * (cold_n / (1.0 - h))).astype(np.int64)
            out[cold] = hot_n + np.minimum(offsets, cold_n - 1)
        return out


class _SequentialKeys:
    def __init__(self) -> None:
        self._next = 0

    def choose(self, n: int, upper: int) -> IntArray:
        _check(n, upper)
        start = self._next if self._next < upper else 0
        out = np.arange(start, start + n, dtype=np.int64)
        out %= upper
        self._next = (start + n) % upper
        return out


class _ExponentialKeys:
    def __init__(self, spec: ExponentialKeys, rng: np.random.Generator) -> None:
        # YCSB ExponentialGenerator: gamma = -ln(1 - percentile/100) / range; here the
        # range is fraction * upper so that it follows the key space as it grows.
        self._rate = -math.log(1.0 - spec.percentile / 100.0) / spec.fraction
        self._rng = rng

    def _ages(self, n: int, upper: int) -> IntArray:
        ages = self._rng.standard_exponential(n)
        ages *= upper / self._rate
        # Clamped before the cast so that huge tails cannot overflow int64; the clamped
        # value equals upper and is therefore drawn again.
        np.minimum(ages, float(upper), out=ages)
        return ages.astype(np.int64)

    def choose(self, n: int, upper: int) -> IntArray:
        _check(n, upper)
        ages = _below(lambda size: self._ages(size, upper), n, upper)
        result: IntArray = (upper - 1) - ages
        return result


def make_key_chooser(
    dist: RequestDistribution,
    *,
    records: int,
    expected_inserts: int,
    rng: np.random.Generator,
) -> KeyChooser:
    """The key chooser for one worker.

    `records + expected_inserts` sizes the (scrambled) zipfian item space, as YCSB sizes it
    with `recordcount + expectednewkeys`. Keys past that space are never chosen by those two
    distributions, exactly as in YCSB, so under-estimating the inserts leaves new records cold.
    """
    if records < 1 or expected_inserts < 0:
        raise ValueError(
            f"need records >= 1 and expected_inserts >= 0, got {records=}, {expected_inserts=}"
        )
    items = records + expected_inserts
    chooser: KeyChooser
    match dist:
        case UniformKeys():
            chooser = _UniformKeys(rng)
        case ZipfianKeys():
            chooser = _ZipfianKeys(items, dist.constant, rng)
        case ScrambledZipfianKeys():
            chooser = _ScrambledZipfianKeys(items, dist.constant, rng)
        case LatestKeys():
            chooser = _LatestKeys(dist.constant, rng)
        case HotspotKeys():
            chooser = _HotspotKeys(dist, rng)
        case SequentialKeys():
            chooser = _SequentialKeys()
        case ExponentialKeys():
            chooser = _ExponentialKeys(dist, rng)
        case _:
            raise TypeError(f"unknown request distribution {dist!r}")
    return chooser


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
        self._zipf = _Zipf(high - low + 1, _LENGTH_THETA)
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


# -- operations ----------------------------------------------------------------------


class OperationChooser:
    """Draws operations in the proportions of an OperationMix."""

    def __init__(self, mix: OperationMix, rng: np.random.Generator) -> None:
        shares = mix.proportions()
        self.operations: tuple[str, ...] = tuple(mix.active())
        weights = np.array([shares[op] for op in self.operations], dtype=np.float64)
        cdf = np.cumsum(weights / weights.sum())
        # The mix sums to 1 only within 1e-6; pinning the end keeps every draw in range.
        cdf[-1] = 1.0
        self._cdf = cdf
        self._rng = rng

    def choose(self, n: int) -> npt.NDArray[np.uint8]:
        """n indexes into `self.operations`."""
        picks = np.searchsorted(self._cdf, self._rng.random(n), side="right")
        return picks.astype(np.uint8)


# -- key names -----------------------------------------------------------------------


def key_names(
    indexes: IntArray,
    *,
    prefix: str,
    insert_order: Literal["hashed", "ordered"],
    ordered_width: int = 12,
) -> list[str]:
    """YCSB's buildKeyName, for a batch.

    hashed: prefix + decimal FNV-1a hash of the index (YCSB's default, zeropadding=1).
    ordered: prefix + the index zero-padded to `ordered_width` digits, so that string order
    equals numeric order (YCSB pads only when zeropadding is set).
    """
    # Measured on 1024-key batches: an f-string over tolist() beats np.char / np.strings
    # concatenation (0.07-0.09 us vs 0.10-0.14 us per key), and %-formatting via map beats
    # f-string padding and zfill for the ordered form.
    if insert_order == "hashed":
        hashes = cast("list[int]", fnv1a_64(indexes).tolist())
        return [f"{prefix}{h}" for h in hashes]
    if indexes.size:
        low, high = int(indexes.min()), int(indexes.max())
        if low < 0 or high >= 10**ordered_width:
            raise ValueError(
                f"ordered key indexes must lie in [0, 10**{ordered_width}), got {low}..{high}"
            )
    template = prefix.replace("%", "%%") + f"%0{ordered_width}d"
    numbers = cast("list[int]", indexes.tolist())
    return list(map(template.__mod__, numbers))


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
