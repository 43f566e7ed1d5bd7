"""Run folders of a capacity search and a connections sweep, as the issue-15 contract
describes them: trials written by the real RunWriter, then each trial's `point` and the
manifest's `capacity` block added as `bakeoff capacity` and `bakeoff sweep` write them."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bakeoff.core.measures import IntervalRow, LatencyKind, Phase
from bakeoff.results.usl import usl_throughput
from bakeoff.results.writer import RunWriter
from tests.unit.results.test_store import histogram, trial_record

SIGMA, KAPPA, LAMBDA = 0.05, 0.002, 1_000.0
CONNECTIONS = (1, 2, 4, 8, 16, 32, 64)
SLO_P99_US = 2_000.0
INTERVALS = 4
STEPS = (
    (1000.0, 500.0, True),
    (2000.0, 700.0, True),
    (4000.0, 1500.0, True),
    (8000.0, 9000.0, False),
    (6000.0, 3100.0, False),
)
"""The search's steps: target rate, p99 of response time (µs), accepted."""


def rows(
    throughput: float, latencies_us: Sequence[float], *, kinds: Sequence[LatencyKind]
) -> list[IntervalRow]:
    """Measured intervals of one second at `throughput`, latencies as given."""
    encoded, _ = histogram([int(v * 1000) for v in latencies_us])
    return [
        IntervalRow(
            phase=Phase.MEASURE,
            operation="read",
            latency_kind=kind,
            interval=i,
            start_s=float(i),
            duration_s=1.0,
            count=round(throughput),
            not_found=0,
            errors_transient=0,
            errors_fatal=0,
            errors_unsupported=0,
            histogram=encoded,
        )
        for kind in kinds
        for i in range(INTERVALS)
    ]


def _generator(throughput: float, target: float | None) -> dict[str, object]:
    operations = round(throughput) * INTERVALS
    measure: dict[str, object] = {
        "operations": operations,
        "achieved_ops_per_s": float(round(throughput)),
        "engine_cpu_s": operations * 0.0002,
        "engine_memory_bytes": 48 * 2**20,
    }
    if target is not None:
        measure["target_ops_per_s"] = target
    return {"measure": measure}


def sweep_and_search_run(
    folder: Path, *, engine: str = "redis", noise: float = 0.02, run_id: str = "capacity-run"
) -> Path:
    """Two repetitions of a connections sweep of `engine` with known σ, κ and λ, then a
    capacity search of it whose knee lies at 4,000 ops/s."""
    writer = RunWriter(folder, run_id=run_id)
    points: dict[int, dict[str, float]] = {}
    trial = 0
    for repetition in range(2):
        for position, n in enumerate(CONNECTIONS):
            wobble = 1.0 + noise * (1 if (position + repetition) % 2 else -1)
            throughput = float(usl_throughput(n, LAMBDA, SIGMA, KAPPA)) * wobble
            record = trial_record(
                trial,
                repetition=repetition,
                rows=rows(throughput, (200.0, 400.0, 900.0), kinds=[LatencyKind.SERVICE]),
            )
            writer.add_trial(
                dataclasses.replace(
                    record,
                    engine=engine,
                    connections=n,
                    load_generator=_generator(throughput, None),
                )
            )
            points[trial] = {"connections": float(n)}
            trial += 1
    steps = []
    for step, (target, p99, accepted) in enumerate(STEPS, 1):
        latencies = (p99 / 4, p99 / 2, p99)
        record = trial_record(
            trial,
            rows=rows(
                target * (1.0 if accepted else 0.9),
                latencies,
                kinds=[LatencyKind.SERVICE, LatencyKind.RESPONSE],
            ),
        )
        writer.add_trial(
            dataclasses.replace(
                record,
                engine=engine,
                connections=8,
                load_generator=_generator(target * (1.0 if accepted else 0.9), target),
            )
        )
        points[trial] = {"rate": target}
        steps.append(
            {
                "step": step,
                "trial": trial,
                "repetition": 0,
                "target_rate": target,
                "achieved_rate": target * (1.0 if accepted else 0.9),
                "percentiles_us": {"p50": p99 / 2, "p99": p99},
                "error_rate": 0.0,
                "duration_s": float(INTERVALS),
                "accepted": accepted,
                "reasons": []
                if accepted
                else [f"p99 {p99:,.0f} µs > SLO 2,000 µs", "achieved 90% of target (< 95%)"],
            }
        )
        trial += 1
    run = writer.finish("ok")
    capacity = {
        "slo": {
            "text": "p99<=2ms,errors<=1%",
            "percentiles_us": {"p99": SLO_P99_US},
            "max_error_rate": 0.01,
        },
        "method": "A geometric ramp, then bisection between the last accepted and the "
        "first rejected rate.",
        "budget_s": 300.0,
        "engines": {
            engine: {
                "max_rate": 4000.0,
                "low": 4000.0,
                "high": 6000.0,
                "uncertainty": "between the highest accepted and the lowest rejected rate",
                "connections": 8,
                "converged": True,
                "steps": steps,
            }
        },
    }
    tag(run, points, capacity)
    return run


def tag(run: Path, points: Mapping[int, Mapping[str, float]], capacity: Any = None) -> None:
    """Add each trial's point and the capacity block to a finished run's manifest."""
    path = run / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for entry in manifest["trials"]:
        if entry["trial"] in points:
            entry["point"] = dict(points[entry["trial"]])
    if capacity is not None:
        manifest["capacity"] = capacity
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")


def rate_sweep_run(folder: Path, *, engine: str = "postgres") -> Path:
    """An open-loop rate sweep and closed-loop trials at a single concurrency: no search,
    and nothing a USL fit could be made from."""
    writer = RunWriter(folder, run_id="rate-sweep")
    points: dict[int, dict[str, float]] = {}
    for trial, rate in enumerate((500.0, 1000.0, 2000.0)):
        record = trial_record(
            trial,
            rows=rows(rate, (100.0, rate / 5, rate), kinds=[LatencyKind.RESPONSE]),
        )
        writer.add_trial(
            dataclasses.replace(record, engine=engine, load_generator=_generator(rate, rate))
        )
        points[trial] = {"rate": rate, "connections": 4.0}
    for trial in (3, 4):
        record = trial_record(
            trial,
            repetition=trial - 3,
            rows=rows(900.0, (300.0,), kinds=[LatencyKind.SERVICE]),
        )
        writer.add_trial(dataclasses.replace(record, engine=engine))
        points[trial] = {"connections": 8.0}
    run = writer.finish("ok")
    tag(run, points)
    return run
