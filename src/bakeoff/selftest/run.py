"""The whole selftest: every measurement, in the order that keeps comparisons fair."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bakeoff.adapters.protocol import Endpoint
from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.container import ContainerProvisioner
from bakeoff.engines.forwarding import USERLAND_PROXY
from bakeoff.engines.images import local_image
from bakeoff.harness.clients import usable_cores
from bakeoff.selftest.bakeoff_runs import (
    MIXES,
    RECORDS,
    bakeoff_on,
    noop_overhead,
    peak_rss_probe,
    selftest_workload,
)
from bakeoff.selftest.goycsb import GoYcsb, as_figures
from bakeoff.selftest.measured import Measured, ratio
from bakeoff.selftest.native import pgbench, pgbench_on_bakeoff_rows, redis_benchmark
from bakeoff.selftest.rounds import median_figures, per_round
from bakeoff.selftest.wakeup import wakeup_figures

Say = Callable[[str], None]

CONNECTIONS = (1, 8)
# (engine, prefix of its figures, the workload its native peer runs)
ENGINES = (("redis", "redis", "a"), ("postgres", "pg", "c"))


def run_selftest(
    *,
    duration_s: float,
    memory_long_s: float,
    say: Say,
    rounds: int,
    go_ycsb: Path | None = None,
) -> dict[str, Any]:
    """Every measurement; the compared ones `rounds` times each (bakeoff and its peers
    alternated), their figures the medians over the rounds (`rounds.median_figures`)."""
    figures: dict[str, Any] = {
        "machine_cores": usable_cores(),
        "duration_s": duration_s,
        "rounds": rounds,
        "load_average_start": list(os.getloadavg()),
    }
    say("wake-up probe: idle, then with a lowest-priority busy loop per CPU ...")
    figures["wakeup"] = wakeup_figures()
    measured: list[dict[str, Any]] = [{} for _ in range(rounds)]
    say("no-op harness overhead ...")
    for round_figures in measured:
        round_figures["noop_us_per_op"] = noop_overhead(min(duration_s, 10.0))

    goycsb = GoYcsb(go_ycsb) if go_ycsb is not None else None
    figures["goycsb_binary"] = str(go_ycsb) if go_ycsb is not None else None
    forwarding: list[str] = []
    for engine, prefix, native_mix in ENGINES:
        image = os.environ.get(f"BAKEOFF_IMAGE_{engine.upper()}") or local_image(engine)
        with ContainerProvisioner(engine_spec(engine), image=image) as endpoint:
            figures[f"{engine}_version"] = endpoint.version
            path = str(endpoint.provenance.get("port_forwarding", "unknown"))
            if path not in forwarding:
                forwarding.append(path)
            if goycsb is not None and engine == "redis":
                say("go-ycsb load on redis (its own keys) ...")
                goycsb.load(engine, endpoint, RECORDS)
            for n in CONNECTIONS:
                for number, round_figures in enumerate(measured, start=1):
                    if rounds > 1:
                        say(f"round {number} of {rounds}:")
                    _measure_engine(
                        round_figures,
                        engine,
                        prefix,
                        native_mix,
                        endpoint,
                        n,
                        duration_s,
                        say,
                        goycsb,
                    )
    figures.update(median_figures(measured))
    figures["per_round"] = per_round(measured)
    figures["proxy"] = " / ".join(forwarding)
    figures["proxy_caps_ratios"] = USERLAND_PROXY in forwarding

    short_s = memory_long_s / 10
    say(f"memory: {short_s:g} s run against a {memory_long_s:g} s run ...")
    rss_short = peak_rss_probe(short_s)
    rss_long = peak_rss_probe(memory_long_s)
    figures["memory_short_run_s"] = short_s
    figures["memory_long_run_s"] = memory_long_s
    figures["memory_peak_rss_short_mb"] = rss_short / 2**20
    figures["memory_peak_rss_long_mb"] = rss_long / 2**20
    figures["memory_ratio_10m_1m"] = rss_long / rss_short
    figures["load_average_end"] = list(os.getloadavg())
    return figures


def _measure_engine(
    figures: dict[str, Any],
    engine: str,
    prefix: str,
    native_mix: str,
    endpoint: Endpoint,
    n: int,
    duration_s: float,
    say: Say,
    goycsb: GoYcsb | None,
) -> None:
    """At `n` connections: bakeoff, go-ycsb, the native peer on the native peer's workload,
    then bakeoff and go-ycsb on the other workload: each tool right after bakeoff."""
    workloads = [native_mix] + ([w for w in MIXES if w != native_mix] if goycsb else [])
    for w in workloads:
        workload = selftest_workload(f"selftest-{prefix}-{w}", MIXES[w], RECORDS, duration_s)
        say(f"bakeoff on {engine}, workload {w.upper()}, {n} connection(s) ...")
        ours, split = bakeoff_on(engine, endpoint, workload, n)
        if goycsb is not None:
            say(f"go-ycsb on {engine}, workload {w.upper()}, {n} connection(s) ...")
            theirs = goycsb.run(engine, endpoint, RECORDS, MIXES[w], n, duration_s)
            key = f"goycsb_{prefix}_{w}"
            figures[f"{key}_bakeoff_{n}"] = asdict(ours)
            figures[f"{key}_goycsb_{n}"] = as_figures(theirs)
            _ratios(figures, key, n, ours, theirs.measured)
        if w != native_mix:
            continue
        say(f"native peer on {engine}, {n} connection(s) ...")
        if engine == "redis":
            native = redis_benchmark(endpoint, n, max(2000, int(ours.ops_per_s * duration_s)))
        else:
            native = pgbench(endpoint, n, duration_s)
            say(f"pgbench on bakeoff's rows, {n} connection(s) ...")
            same_rows = pgbench_on_bakeoff_rows(endpoint, n, duration_s)
            figures[f"{prefix}_rows_bakeoff_{n}"] = asdict(ours)
            figures[f"{prefix}_rows_native_{n}"] = asdict(same_rows)
            figures[f"{prefix}_rows_split_{n}"] = split
            _ratios(figures, f"{prefix}_rows", n, ours, same_rows)
        figures[f"{prefix}_bakeoff_{n}"] = asdict(ours)
        figures[f"{prefix}_native_{n}"] = asdict(native)
        figures[f"{prefix}_split_{n}"] = split
        _ratios(figures, prefix, n, ours, native)


def _ratios(figures: dict[str, Any], key: str, n: int, ours: Measured, theirs: Measured) -> None:
    """bakeoff / the peer: throughput (higher is better for bakeoff), p50, p99 and client
    CPU per operation (lower is better)."""
    figures[f"{key}_ratio_{n}"] = ratio(ours.ops_per_s, theirs.ops_per_s)
    figures[f"{key}_p50_ratio_{n}"] = ratio(ours.p50_us, theirs.p50_us)
    figures[f"{key}_p99_ratio_{n}"] = ratio(ours.p99_us, theirs.p99_us)
    figures[f"{key}_client_cpu_ratio_{n}"] = ratio(ours.cpu_us_per_op, theirs.cpu_us_per_op)
