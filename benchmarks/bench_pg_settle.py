"""What settling the table after the load changes: PostgreSQL workload C at 8 connections.

On one container of the project's image, in rounds whose order rotates (over six rounds
each run takes each place twice, so drift and a busy neighbour hit each alike): bakeoff's
selftest workload C (one 100-byte field, 100,000 records, uniform keys) at 8 connections
split as the selftest splits them, each trial on a table it has just loaded, once with
`--no-settle` and once settled (VACUUM (ANALYZE), harness/settle.py); and `pgbench -S -M
prepared` at 8 connections on its own table, vacuumed by `pgbench -i` once before the
rounds, as the selftest's peer.

Engine CPU per read comes from the container's cgroup (`engine_cpu_seconds`): for
bakeoff over its measured phase only (the trial's `load_generator.measure.engine_cpu_s`),
for pgbench around its run. Prints each run's reads/s, client and engine CPU per read
and ratio to the round's pgbench, the load average before each round, then the median
and range of each figure, and settled minus just loaded paired round by round.

Run (Docker and the engine images, `bakeoff images env`), on a machine as idle as it gets:
    python benchmarks/bench_pg_settle.py [--rounds 6] [--duration 8]
"""

from __future__ import annotations

import argparse
import os
import statistics
from collections.abc import Callable

from bakeoff.adapters.registry import adapter_class
from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.container import ContainerProvisioner
from bakeoff.engines.external import ExternalProvisioner
from bakeoff.engines.images import local_image
from bakeoff.engines.provisioning import EngineOptions
from bakeoff.harness.clients import usable_cores
from bakeoff.harness.options import RunOptions, split_connections
from bakeoff.selftest import bakeoff_runs
from bakeoff.selftest.native import pgbench, run_pgbench

CONNECTIONS = 8
PGBENCH = "pgbench -S"
NOT_SETTLED = "bakeoff, just loaded"
SETTLED = "bakeoff, loaded and settled"

Figures = dict[str, float]


class ServerInContainer(ExternalProvisioner):
    """The container's server as an external one (the runner neither starts nor stops
    it), with the container's CPU reading, so the measured phase records engine CPU."""

    def __init__(self, container: ContainerProvisioner, url: str) -> None:
        super().__init__(container.spec, url)
        self._container = container

    def engine_cpu_seconds(self) -> float | None:
        return self._container.engine_cpu_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--duration", type=float, default=8.0)
    args = parser.parse_args()
    spec = engine_spec("postgres")
    workload = bakeoff_runs.selftest_workload(
        "settle", bakeoff_runs.MIXES["c"], bakeoff_runs.RECORDS, args.duration
    )
    processes, clients = split_connections(CONNECTIONS, usable_cores())
    image = os.environ.get("BAKEOFF_IMAGE_POSTGRES") or local_image("postgres")
    provisioner = ContainerProvisioner(spec, image=image)
    results: dict[str, list[Figures]] = {PGBENCH: [], NOT_SETTLED: [], SETTLED: []}
    with provisioner as endpoint:

        def engine_cpu() -> float:
            return provisioner.engine_cpu_seconds() or 0.0

        def bakeoff(settle: bool) -> Figures:
            # No reuse: every trial drops the table and loads it anew.
            options = RunOptions(
                processes=processes,
                clients=clients,
                auto_split=True,
                settle=settle,
                engine_options=EngineOptions(keep=True),
            )
            record = bakeoff_runs.run_trial(
                workload,
                spec,
                adapter_class(spec.adapter),
                ServerInContainer(provisioner, endpoint.url),
                options,
            )
            measure = record.load_generator["measure"]
            settled = record.load_generator["settle"]
            assert isinstance(measure, dict) and isinstance(settled, dict)
            measured = bakeoff_runs.measured_of(record)
            return {
                "reads_per_s": measured.ops_per_s,
                "client_us": measured.cpu_us_per_op,
                "engine_us": float(measure["engine_cpu_s"]) / int(measure["operations"]) * 1e6,
                "settle_s": float(settled.get("seconds", 0.0)),
                # The split the trial ran (`auto_split` lets it regroup).
                "processes": float(str(record.load_generator["processes"])),
                "clients": float(str(record.load_generator["clients_per_process"])),
            }

        def peer() -> Figures:
            before = engine_cpu()
            measured = run_pgbench(endpoint, CONNECTIONS, args.duration, ["-S"])
            reads = measured.ops_per_s * int(args.duration)  # pgbench's tps over -T
            return {
                "reads_per_s": measured.ops_per_s,
                "client_us": measured.cpu_us_per_op,
                "engine_us": (engine_cpu() - before) / reads * 1e6,
            }

        runs: dict[str, Callable[[], Figures]] = {
            NOT_SETTLED: lambda: bakeoff(settle=False),
            SETTLED: lambda: bakeoff(settle=True),
            PGBENCH: peer,
        }
        pgbench(endpoint, 1, 1.0)  # creates and vacuums pgbench's table, outside the rounds
        print(f"{args.duration:g} s per run; bakeoff asked for {processes} x {clients}")
        for round_ in range(args.rounds):
            order = _order(list(runs), round_)
            print(f"round {round_ + 1}: load average {_load_average()}")
            this_round = {label: runs[label]() for label in order}
            for label in order:
                figures = this_round[label]
                figures["ratio"] = figures["reads_per_s"] / this_round[PGBENCH]["reads_per_s"]
                results[label].append(figures)
                print(f"  {_line(label, figures)}")
        print(f"load average at end: {_load_average()}")
    print("median [min – max] over the rounds:")
    for label, rounds in results.items():
        print(f"  {label:32s}" + "".join(_spread(name, rounds) for name in _SHOWN))
    print("settled minus just loaded, paired by round:")
    for name in _SHOWN[1:]:
        pairs = zip(results[SETTLED], results[NOT_SETTLED], strict=True)
        differences = sorted(on[name] - off[name] for on, off in pairs)
        print(
            f"  {name:12s} median {statistics.median(differences):+.3f}  "
            f"each: {' '.join(f'{d:+.3f}' for d in differences)}"
        )


_SHOWN = ("reads_per_s", "ratio", "client_us", "engine_us")


def _order(labels: list[str], round_: int) -> list[str]:
    """The runs of a round: rotated by one each round, and reversed every other three,
    so that over six rounds each run takes each place twice, and each pair of runs
    comes in both orders equally often."""
    if (round_ // len(labels)) % 2:
        labels = labels[::-1]
    shift = round_ % len(labels)
    return labels[shift:] + labels[:shift]


def _line(label: str, figures: Figures) -> str:
    settle = f"  settle {figures['settle_s']:.2f} s" if figures.get("settle_s") else ""
    split = f" {figures['processes']:.0f}x{figures['clients']:.0f}" if "clients" in figures else ""
    return (
        f"{label + split:32s} {figures['reads_per_s']:8,.0f} reads/s  x{figures['ratio']:.3f} "
        f"pgbench  client {figures['client_us']:5.1f} µs  engine "
        f"{figures['engine_us']:5.1f} µs per read{settle}"
    )


def _spread(name: str, rounds: list[Figures]) -> str:
    values = [r[name] for r in rounds]
    digits = 0 if name == "reads_per_s" else 3 if name == "ratio" else 1
    return (
        f"  {name} {statistics.median(values):,.{digits}f} "
        f"[{min(values):,.{digits}f} – {max(values):,.{digits}f}]"
    )


def _load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
