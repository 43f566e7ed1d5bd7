"""Cost of folding latencies into HdrHistograms: hdrh's per-value loop vs the bulk paths.

Run: .venv/bin/python benchmarks/bench_recorder.py
Prints nanoseconds per value (per operation for add_chunk), best of several repeats.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from bakeoff.core import histogram as hdr
from bakeoff.core.measures import Phase
from bakeoff.harness.recorder import Recorder

REPEATS = 5
CHUNK_SIZES = (256, 1024, 4096)
N_OPS = 200_000
OPS_PER_SECOND = 20_000
"""One worker's completion rate: 200k ops span 10 one-second intervals."""


def latencies(n: int, rng: np.random.Generator) -> npt.NDArray[np.int64]:
    # Lognormal around 150 µs with a heavy tail: the shape of a real key-value workload.
    return np.exp(rng.normal(np.log(150_000), 1.0, n)).astype(np.int64)


def best_ns_per_value(run: Callable[[], int]) -> float:
    """run() does the work and returns how many values it recorded."""
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter_ns()
        n = run()
        best = min(best, (time.perf_counter_ns() - start) / n)
    return best


def bench_record_value(values: npt.NDArray[np.int64]) -> float:
    as_ints = values[:50_000].tolist()

    def run() -> int:
        hist = hdr.new_histogram()
        for v in as_ints:
            hist.record_value(v)
        return len(as_ints)

    return best_ns_per_value(run)


def bench_record_bulk(values: npt.NDArray[np.int64], chunk: int) -> float:
    chunks = [values[i : i + chunk] for i in range(0, len(values), chunk)]

    def run() -> int:
        hist = hdr.new_histogram()
        for part in chunks:
            hdr.record_bulk(hist, part)
        return len(values)

    return best_ns_per_value(run)


def bench_add_chunk(rng: np.random.Generator, chunk: int, response_time: bool) -> float:
    n = N_OPS
    ops = (rng.random(n) < 0.05).astype(np.uint8)  # 95% read, 5% update
    start_ns = 10**12
    ends = start_ns + np.cumsum(rng.exponential(1e9 / OPS_PER_SECOND, n)).astype(np.int64)
    service = latencies(n, rng)
    response = service + rng.integers(0, 20_000, n)
    outcomes = np.where(rng.random(n) < 0.001, 2, 0).astype(np.uint8)  # 0.1% transient
    parts = [
        (ops[i : i + chunk], ends[i : i + chunk], service[i : i + chunk], outcomes[i : i + chunk],
         response[i : i + chunk] if response_time else None)
        for i in range(0, n, chunk)
    ]  # fmt: skip

    def run() -> int:
        rec = Recorder(
            ("read", "update"), Phase.MEASURE, start_ns=start_ns, response_time=response_time
        )
        for p in parts:
            rec.add_chunk(*p)
        return n

    return best_ns_per_value(run)


def bench_rows(rng: np.random.Generator) -> float:
    """rows() at the end of the 10-interval run: ms for the whole call."""
    n = N_OPS
    rec = Recorder(("read", "update"), Phase.MEASURE, start_ns=0)
    ends = np.cumsum(rng.exponential(1e9 / OPS_PER_SECOND, n)).astype(np.int64)
    rec.add_chunk(
        (rng.random(n) < 0.05).astype(np.uint8),
        ends,
        latencies(n, rng),
        np.zeros(n, dtype=np.uint8),
    )
    start = time.perf_counter_ns()
    rec.rows(int(ends[-1]) + 1)
    return (time.perf_counter_ns() - start) / 1e6


def main() -> None:
    rng = np.random.default_rng(42)
    values = latencies(N_OPS, rng)
    print(f"{'path':<44}{'ns/value':>10}")
    print(f"{'hdrh record_value loop':<44}{bench_record_value(values):>10.1f}")
    for chunk in CHUNK_SIZES:
        label = f"record_bulk, chunks of {chunk}"
        print(f"{label:<44}{bench_record_bulk(values, chunk):>10.1f}")
    for response_time in (False, True):
        for chunk in CHUNK_SIZES:
            kinds = "service+response" if response_time else "service"
            label = f"Recorder.add_chunk {chunk} ({kinds})"
            print(f"{label:<44}{bench_add_chunk(rng, chunk, response_time):>10.1f}")
    print(f"Recorder.rows, 10 intervals x 2 ops: {bench_rows(rng):.1f} ms")


if __name__ == "__main__":
    main()
