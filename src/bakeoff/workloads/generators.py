"""Random choices for the benchmark loop: seeding and operations here; keys, lengths and
payloads in `keys`, `lengths` and `values`, their skewed draws in `zipf`.

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

Every draw is reproducible from (seed, connection, stream) and the sequence of calls made.
"""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt

from bakeoff.workloads.logical import LogicalMix
from bakeoff.workloads.model import OperationMix

# -- seeding -------------------------------------------------------------------------


def _stream_code(stream: str) -> int:
    # Python's hash() is salted per process; the stream id must be stable across runs.
    return int.from_bytes(hashlib.blake2b(stream.encode(), digest_size=8).digest(), "little")


def connection_rng(seed: int, connection: int, stream: str) -> np.random.Generator:
    """A generator for one purpose ("keys", "values", ...) of one connection.

    Streams for distinct (connection, stream) pairs are statistically independent: they are
    spawned children of one SeedSequence, not seeds that differ by a small offset.
    """
    if seed < 0 or connection < 0:
        raise ValueError(f"seed and connection must be non-negative, got {seed=} {connection=}")
    sequence = np.random.SeedSequence(entropy=seed, spawn_key=(connection, _stream_code(stream)))
    # PCG64 named explicitly: default_rng's bit generator may change between numpy versions,
    # and results must stay reproducible for a given seed.
    return np.random.Generator(np.random.PCG64(sequence))


# -- operations ----------------------------------------------------------------------


class OperationChooser:
    """Draws operations in the proportions of an OperationMix."""

    def __init__(self, mix: OperationMix | LogicalMix, rng: np.random.Generator) -> None:
        shares = mix.proportions()
        self.operations: tuple[str, ...] = tuple(mix.active())
        weights = np.array([shares[op] for op in self.operations], dtype=np.float64)
        # The last operation takes every draw above the others' thresholds, so a mix that
        # sums to 1 only within 1e-6 still keeps every draw in range.
        self._thresholds: list[float] = np.cumsum(weights / weights.sum())[:-1].tolist()
        self._rng = rng

    def choose(self, n: int) -> npt.NDArray[np.uint8]:
        """n indexes into `self.operations`."""
        draws = self._rng.random(n)
        # An operation's index is the count of thresholds its draw reached: searchsorted
        # (side="right") on the cumulative shares, without its branch on every draw.
        picks = np.zeros(n, dtype=np.uint8)
        for threshold in self._thresholds:
            picks += draws >= threshold
        return picks
