"""Cost of the workload generators per chosen key and per generated record.

Run: .venv/bin/python benchmarks/bench_generators.py

Each figure is the best of several repeats of a loop that asks for batches the way the
benchmark loop does, so it is the amortised cost inside the measured path.
"""

from __future__ import annotations

import timeit
from collections.abc import Callable

from bakeoff.workloads.generators import OperationChooser, connection_rng
from bakeoff.workloads.keys import KeyChooser, key_names, make_key_chooser
from bakeoff.workloads.lengths import make_length_chooser
from bakeoff.workloads.model import (
    ConstantLength,
    ExponentialKeys,
    Fields,
    HotspotKeys,
    LatestKeys,
    OperationMix,
    RequestDistribution,
    ScrambledZipfianKeys,
    SequentialKeys,
    UniformKeys,
    ZipfianKeys,
    ZipfianLength,
)
from bakeoff.workloads.values import ValuePool

BATCH = 1024
RECORDS = 1_000_000
EXPECTED_INSERTS = 100_000
UPPER = RECORDS + EXPECTED_INSERTS // 2
BATCHES = 200
REPEATS = 7


def best_us_per_item(run: Callable[[], object], items_per_run: int) -> float:
    timer = timeit.Timer(run)
    best = min(timer.repeat(repeat=REPEATS, number=BATCHES))
    return best / (BATCHES * items_per_run) * 1e6


def main() -> None:
    distributions: list[tuple[str, RequestDistribution]] = [
        ("uniform", UniformKeys(type="uniform")),
        ("zipfian", ZipfianKeys(type="zipfian")),
        ("scrambled_zipfian", ScrambledZipfianKeys(type="scrambled_zipfian")),
        ("latest", LatestKeys(type="latest")),
        ("hotspot", HotspotKeys(type="hotspot")),
        ("sequential", SequentialKeys(type="sequential")),
        ("exponential", ExponentialKeys(type="exponential")),
    ]
    print(f"records={RECORDS:,} expected_inserts={EXPECTED_INSERTS:,} upper={UPPER:,}")
    print(f"batch={BATCH}, best of {REPEATS} x {BATCHES} batches\n")
    print(f"{'distribution':<20}{'index us/key':>14}{'+hashed us/key':>16}{'+ordered us/key':>17}")
    for name, dist in distributions:
        rng = connection_rng(1, 0, "keys")
        chooser = make_key_chooser(
            dist, records=RECORDS, expected_inserts=EXPECTED_INSERTS, rng=rng
        )

        def indexes(c: KeyChooser = chooser) -> object:
            return c.choose(BATCH, UPPER)

        def hashed(c: KeyChooser = chooser) -> object:
            return key_names(c.choose(BATCH, UPPER), prefix="user", insert_order="hashed")

        def ordered(c: KeyChooser = chooser) -> object:
            return key_names(c.choose(BATCH, UPPER), prefix="user", insert_order="ordered")

        print(
            f"{name:<20}{best_us_per_item(indexes, BATCH):>14.3f}"
            f"{best_us_per_item(hashed, BATCH):>16.3f}{best_us_per_item(ordered, BATCH):>17.3f}"
        )

    rng = connection_rng(1, 0, "ops")
    ops = OperationChooser(OperationMix(read=0.5, update=0.3, insert=0.1, scan=0.1), rng)
    op_cost = best_us_per_item(lambda: ops.choose(BATCH), BATCH)
    print(f"\n{'operation choice':<20}{op_cost:>14.3f}")
    lengths = make_length_chooser(ZipfianLength(distribution="zipfian", min=1, max=100), rng)
    length_cost = best_us_per_item(lambda: lengths.choose(BATCH), BATCH)
    print(f"{'zipfian scan length':<20}{length_cost:>14.3f}")

    fields = Fields()
    names = fields.names()
    for label, length in (
        ("100 B constant", ConstantLength(value=100)),
        ("zipfian 1..1000 B", ZipfianLength(distribution="zipfian", min=1, max=1000)),
    ):
        pool = ValuePool(length, connection_rng(1, 0, "values"))

        def record(p: ValuePool = pool) -> object:
            return p.record(names)

        per_record = best_us_per_item(record, 1)
        print(f"ValuePool.record, {len(names)} fields, {label}: {per_record:.3f} us/record")


if __name__ == "__main__":
    main()
