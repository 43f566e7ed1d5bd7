"""What telemetry costs the throughput: the same engine measured with it on and off,
alternated, on one container (so start-up and placement are the same for both).

For each engine, `--rounds` pairs of trials run back to back in alternating order
(on/off, off/on, ...), each loading the records, warming up and measuring; it prints the
median throughput with telemetry on and off and their ratio, with the load average
before and after (the machine may be shared: read the ratio against it).

Run (Docker and the engine images needed; `bakeoff images env` for local images):
    python benchmarks/telemetry_overhead.py --engine redis --engine postgres \
        --rounds 5 --duration 10 --telemetry-interval 1
"""

from __future__ import annotations

import argparse
import os
import statistics
from dataclasses import replace

from bakeoff.api import plan_run
from bakeoff.core.measures import LatencyKind, Phase
from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.container import ContainerProvisioner
from bakeoff.engines.provisioning import install_container_cleanup
from bakeoff.harness.options import RunOptions
from bakeoff.harness.run import SharedProvisioner
from bakeoff.harness.runner import TrialRunner
from bakeoff.harness.telemetry_sampler import READ_TIME
from bakeoff.harness.trial import TrialRecord


def throughput(record: TrialRecord) -> float:
    rows = [
        r for r in record.rows if r.phase is Phase.MEASURE and r.latency_kind is LatencyKind.SERVICE
    ]
    seconds = max(r.start_s + r.duration_s for r in rows)
    return sum(r.count for r in rows) / seconds


def client_cpu_per_op(record: TrialRecord) -> float:
    """CPU µs per measured operation of the whole client process, the sampler's thread
    included: what telemetry adds to it is its cost, and CPU time hardly depends on how
    busy the machine is, unlike throughput."""
    measure = record.load_generator["measure"]
    assert isinstance(measure, dict)
    return float(measure["client_cpu_per_op_us"])


def reading_share(record: TrialRecord) -> float:
    """Seconds the sampler spent reading per measured second (its share of one core)."""
    measure = [t for t in record.telemetry if t.phase == Phase.MEASURE.value]
    spent = sum(t.value for t in measure if t.metric == READ_TIME)
    seconds = sum(t.duration_s for t in measure if t.metric == "container.cpu_user_s")
    return spent / seconds if seconds else 0.0


Comparison = tuple[float, float, float, float, float, float]
"""Median throughput on and off, median paired ratio, client CPU µs/op on and off, and
the sampler's reading share."""


def compare(engine: str, args: argparse.Namespace) -> Comparison:
    base = RunOptions(
        records=args.records,
        duration_s=args.duration,
        warmup_s=args.warmup,
        clients=args.clients,
        interval_s=args.interval,
        telemetry_interval_s=args.telemetry_interval,
    )
    trial = plan_run([args.workload], [engine], base)[0]
    runners = {on: TrialRunner(replace(base, telemetry=on)) for on in (True, False)}
    kept = SharedProvisioner(ContainerProvisioner(engine_spec(engine)))
    measured: dict[bool, list[float]] = {True: [], False: []}
    shares: list[float] = []
    cpu: dict[bool, list[float]] = {True: [], False: []}
    try:
        for round_ in range(args.rounds):
            order = (True, False) if round_ % 2 == 0 else (False, True)
            for on in order:
                record = runners[on].run(trial, kept)
                if record.status != "ok":
                    raise SystemExit(f"{engine}: trial failed: {record.error}")
                measured[on].append(throughput(record))
                cpu[on].append(client_cpu_per_op(record))
                if on:
                    assert record.telemetry, "telemetry on but nothing sampled"
                    shares.append(reading_share(record))
            print(
                f"  {engine} round {round_ + 1}: on {measured[True][-1]:,.0f} ops/s, "
                f"off {measured[False][-1]:,.0f} ops/s; client CPU µs/op on "
                f"{cpu[True][-1]:.1f}, off {cpu[False][-1]:.1f}",
                flush=True,
            )
    finally:
        kept.close()
    with_it, without = (statistics.median(measured[b]) for b in (True, False))
    # Each round's pair ran back to back: their ratio cancels the drift of a shared
    # machine that the medians of each side keep.
    paired = statistics.median(a / b for a, b in zip(measured[True], measured[False], strict=True))
    cpu_on, cpu_off = (statistics.median(cpu[b]) for b in (True, False))
    return with_it, without, paired, cpu_on, cpu_off, statistics.median(shares)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", action="append", default=[])
    parser.add_argument("--workload", default="ycsb-c")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--telemetry-interval", type=float, default=1.0)
    # Telemetry is read at whole result intervals: a shorter reading interval needs
    # shorter result intervals too.
    parser.add_argument("--interval", type=float, default=1.0)
    args = parser.parse_args()
    install_container_cleanup()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    results = {engine: compare(engine, args) for engine in args.engine or ["redis", "postgres"]}
    print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"{args.workload}, {args.clients} connections, {args.duration:g} s measured, "
        f"result intervals {args.interval:g} s, telemetry every "
        f"{max(args.interval, args.telemetry_interval):g} s, median of {args.rounds}:"
    )
    for engine, (on, off, paired, cpu_on, cpu_off, share) in results.items():
        print(
            f"  {engine}: throughput on {on:,.0f} ops/s, off {off:,.0f} ops/s, on/off "
            f"{on / off:.3f} (median of the rounds' on/off {paired:.3f}); client CPU per op "
            f"on {cpu_on:.1f} µs, off {cpu_off:.1f} µs, on/off {cpu_on / cpu_off:.3f}; "
            f"sampler reading {share:.3%} of the time"
        )


if __name__ == "__main__":
    main()
