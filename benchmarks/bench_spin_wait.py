"""One connection, polling for replies against sleeping at once, with the native peer.

The selftest's trials (workload A on Redis against redis-benchmark, C on PostgreSQL
against `pgbench -S`, 100,000 records, one connection) run with `--spin-wait-us 200`
(polling, split phase, the default where a core is left free) and with 0 (blocking),
alternated, the native peer after each pair; prints every run and the medians.

Run (Docker and the engine images, `bakeoff images env`):
    python benchmarks/bench_spin_wait.py [--duration 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics

from bakeoff.adapters.registry import adapter_class
from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.container import ContainerProvisioner
from bakeoff.engines.external import ExternalProvisioner
from bakeoff.engines.images import local_image
from bakeoff.engines.provisioning import EngineOptions
from bakeoff.harness.options import RunOptions
from bakeoff.selftest.bakeoff_runs import MIXES, RECORDS, measured_of, run_trial, selftest_workload
from bakeoff.selftest.measured import Measured
from bakeoff.selftest.native import pgbench, redis_benchmark

MODES = {"polling": 200.0, "blocking": 0.0}
"""--spin-wait-us of each mode."""


def _show(engine: str, label: str, m: Measured, io: str = "") -> None:
    print(
        f"{engine} {label}: {m.ops_per_s:,.0f} ops/s, p50 {m.p50_us:.0f} µs, "
        f"client CPU {m.cpu_us_per_op:.1f} µs/op {io}",
        flush=True,
    )


def compare(engine: str, mix: str, duration_s: float, rounds: int) -> None:
    spec = engine_spec(engine)
    results: dict[str, list[Measured]] = {"polling": [], "blocking": [], "native": []}
    with ContainerProvisioner(spec, image=local_image(engine)) as endpoint:
        workload = selftest_workload(f"spin-{engine}", MIXES[mix], RECORDS, duration_s)
        for round_ in range(rounds):
            modes = list(MODES) if round_ % 2 == 0 else list(reversed(MODES))
            for mode in modes:
                options = RunOptions(
                    spin_wait_us=MODES[mode], engine_options=EngineOptions(keep=True)
                )
                record = run_trial(
                    workload,
                    spec,
                    adapter_class(spec.adapter),
                    ExternalProvisioner(spec, endpoint.url),
                    options,
                )
                results[mode].append(measured_of(record))
                measure = record.load_generator["measure"]
                assert isinstance(measure, dict)
                _show(engine, mode, results[mode][-1], f"({measure['client_io']})")
            if engine == "redis":
                requests = int(results["polling"][-1].ops_per_s * duration_s)
                native = redis_benchmark(endpoint, 1, requests)
            else:
                native = pgbench(endpoint, 1, duration_s)
            results["native"].append(native)
            _show(engine, "native peer", native)
    medians = {k: statistics.median(m.ops_per_s for m in v) for k, v in results.items()}
    print(
        f"== {engine}, medians of {rounds}: polling {medians['polling']:,.0f}, blocking "
        f"{medians['blocking']:,.0f}, native {medians['native']:,.0f} ops/s; polling/native "
        f"{medians['polling'] / medians['native']:.2f}, blocking/native "
        f"{medians['blocking'] / medians['native']:.2f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    for engine, mix in (("redis", "a"), ("postgres", "c")):
        compare(engine, mix, args.duration, args.rounds)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
