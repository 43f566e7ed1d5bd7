"""How often `bakeoff compare` catches a known 10 % slowdown, and how often it cries wolf.

Everything runs through the real harness on SQLite (`run_benchmark`, a fresh database
per trial, each trial its own run folder) and is judged by the same `compare_paths` that
`bakeoff compare` calls. The slowdown is injected where an engine's own slowness would
be: inside the timed adapter call, as a busy wait of a fixed fraction of the operation's
calibrated median service time. The baseline runs the very same adapter class with a
zero wait, so the two sides differ in nothing else.

Each round makes four groups of `--trials` trials — A/A baseline, A/A candidate, A/B
baseline, A/B candidate — interleaved in a random order per repetition so that drift on
a shared machine hits all groups alike. Detection rate = A/B comparisons that exit 1;
false-alarm rate = A/A comparisons that exit 1.

    .venv/bin/python benchmarks/bench_regression_detection.py            # ~8 min
    .venv/bin/python benchmarks/bench_regression_detection.py --rounds 5  # a quick look
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

import bakeoff.harness.plan as plan_module
from bakeoff.adapters import registry
from bakeoff.adapters.protocol import Adapter
from bakeoff.adapters.sql import SqlAdapter
from bakeoff.api import run_benchmark
from bakeoff.gate.compare import compare_metrics, compare_paths
from bakeoff.gate.comparison import CompareOptions, Comparison
from bakeoff.gate.metrics import load_trial_metrics
from bakeoff.results.summary import TOTAL

ENGINE = "sqlite"
WORKLOAD = "ycsb-a"
DELAY_NS: dict[str, int] = {}
"""Busy wait per operation type; empty for the baseline. Set between runs, never during."""


def _spin(ns: int) -> None:
    # A sleep cannot wait one microsecond; spinning on the clock can, and it burns CPU
    # the way a slower engine code path would.
    end = time.perf_counter_ns() + ns
    while time.perf_counter_ns() < end:
        pass


class DelayedSqlAdapter(SqlAdapter):
    """The SQL adapter with a controlled extra cost inside each timed operation."""

    name: ClassVar[str] = "sql"

    def read(self, *args: Any, **kwargs: Any) -> Any:
        ns = DELAY_NS.get("read", 0)
        if ns:
            _spin(ns)
        return super().read(*args, **kwargs)

    def update(self, *args: Any, **kwargs: Any) -> Any:
        ns = DELAY_NS.get("update", 0)
        if ns:
            _spin(ns)
        return super().update(*args, **kwargs)


def _install_adapter() -> None:
    # The planner resolves adapter names through the entry points; this script answers
    # "sql" itself so that every trial, baseline or not, runs the delayed class.
    plan: Any = plan_module

    def adapter_class(name: str) -> type[Adapter]:
        if name == "sql":
            return DelayedSqlAdapter
        return registry.adapter_class(name)

    plan.adapter_class = adapter_class


def _trial(output: Path, args: argparse.Namespace) -> None:
    result = run_benchmark(
        [WORKLOAD],
        [ENGINE],
        output=output,
        repeat=1,
        records=args.records,
        operations=args.operations,
    )
    if not result.ok:
        raise SystemExit(f"a trial failed: {[t.error for t in result.trials]}")


def _median_p50(folder: Path) -> dict[str, float]:
    metrics = load_trial_metrics(folder)
    return {
        str(op): float(rows["p50_us"].median())
        for op, rows in metrics.groupby("operation")
        if op != TOTAL
    }


def _calibrate(root: Path, args: argparse.Namespace) -> tuple[dict[str, float], dict[str, int]]:
    """Waits that add `--slowdown` to each operation's median service time, as measured.

    A first guess (the fraction of the median) overshoots: taking the clock costs time of
    its own. One interleaved pass with the guess measures the effect, and the waits are
    scaled so that the effect is the one asked for.
    """
    plain, slowed = root / "calibration-a", root / "calibration-b"
    DELAY_NS.clear()
    _trial(plain, args)
    guess = {op: round(args.slowdown * us * 1000) for op, us in _median_p50(plain).items()}
    for _ in range(args.trials):
        for folder, delays in ((plain, {}), (slowed, guess)):
            DELAY_NS.clear()
            DELAY_NS.update(delays)
            _trial(folder, args)
    DELAY_NS.clear()
    base, cand = _median_p50(plain), _median_p50(slowed)
    scaled = {
        op: max(0, round(ns * args.slowdown / max(cand[op] / base[op] - 1.0, 1e-3)))
        for op, ns in guess.items()
    }
    return base, scaled


def _wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return math.nan, math.nan
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _rate(label: str, hits: int, n: int) -> str:
    low, high = _wilson(hits, n)
    return f"{label}: {hits}/{n} = {hits / n:.1%} (95% Wilson interval {low:.1%}-{high:.1%})"


@dataclass
class _Tally:
    rounds: int = 0
    ab_hits: int = 0
    aa_hits: int = 0
    resampled: int = 0
    resampled_hits: int = 0
    ab_rows: Counter[str] = field(default_factory=Counter)
    aa_rows: Counter[str] = field(default_factory=Counter)
    verdicts: Counter[str] = field(default_factory=Counter)
    measured: dict[str, list[float]] = field(default_factory=dict)

    def add(self, ab: Comparison, aa: Comparison) -> None:
        self.rounds += 1
        self.ab_hits += ab.exit_code
        self.aa_hits += aa.exit_code
        self.ab_rows.update(f"{r.operation} {r.metric}" for r in ab.regressions)
        self.aa_rows.update(f"{r.operation} {r.metric}" for r in aa.regressions)
        self.verdicts.update(f"{r.metric} {r.verdict.value}" for r in (*ab.rows, *aa.rows))
        for row in ab.rows:
            if row.metric in ("p50", "throughput") and math.isfinite(row.change):
                self.measured.setdefault(f"{row.operation} {row.metric}", []).append(row.change)


def _round(
    base: Path, args: argparse.Namespace, delays: dict[str, int], rng: random.Random
) -> dict[str, Path]:
    groups = {name: base / name for name in ("aa-base", "aa-cand", "ab-base", "ab-cand")}
    for _ in range(args.trials):
        order = list(groups)
        rng.shuffle(order)
        for name in order:
            DELAY_NS.clear()
            if name == "ab-cand":
                DELAY_NS.update(delays)
            _trial(groups[name], args)
    DELAY_NS.clear()
    return groups


def _resampled_aa(
    groups: dict[str, Path], args: argparse.Namespace, options: CompareOptions, rng: random.Random
) -> tuple[int, int]:
    """A/A comparisons between random splits of the round's interleaved A trials.

    They share trials, so they are not independent; they estimate the false-alarm rate
    more finely than the one A/A pair per round can, at no cost in run time.
    """
    metrics = pd.concat(
        [load_trial_metrics(groups[name]) for name in ("aa-base", "aa-cand", "ab-base")],
        ignore_index=True,
    )
    runs = sorted(set(metrics["run_id"]))
    hits = 0
    for _ in range(args.resamples):
        picked = rng.sample(runs, 2 * args.trials)
        left, right = set(picked[: args.trials]), set(picked[args.trials :])
        comparison = compare_metrics(
            metrics[metrics["run_id"].isin(left)], metrics[metrics["run_id"].isin(right)], options
        )
        hits += comparison.exit_code
    return hits, args.resamples


def _report(tally: _Tally) -> None:
    print("measured injected slowdown (median over rounds of candidate/baseline - 1):")
    for key in sorted(tally.measured):
        values = tally.measured[key]
        print(
            f"  {key:18s} {statistics.median(values):+.1%} "
            f"(range {min(values):+.1%} to {max(values):+.1%})"
        )
    print(_rate("detection, A/B (exit 1)", tally.ab_hits, tally.rounds))
    print(_rate("false alarms, A/A (exit 1)", tally.aa_hits, tally.rounds))
    print(
        _rate(
            "false alarms, A/A over resampled splits (not independent)",
            tally.resampled_hits,
            tally.resampled,
        )
    )
    print("A/B rows judged regressed: " + ", ".join(f"{k} ×{n}" for k, n in tally.ab_rows.items()))
    print(
        "A/A rows judged regressed: "
        + (", ".join(f"{k} ×{n}" for k, n in tally.aa_rows.items()) or "none")
    )
    print(
        "verdicts over all rows: "
        + ", ".join(f"{k} {n}" for k, n in sorted(tally.verdicts.items()))
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=25, help="A/B and A/A comparisons each")
    parser.add_argument("--trials", type=int, default=5, help="trials per side")
    parser.add_argument("--operations", type=int, default=30_000, help="measured ops per trial")
    parser.add_argument("--records", type=int, default=1_000)
    parser.add_argument("--slowdown", type=float, default=0.10, help="injected, of median")
    parser.add_argument("--threshold", type=float, default=0.05)
    parser.add_argument("--resamples", type=int, default=40, help="A/A splits per round")
    parser.add_argument("--seed", type=int, default=7, help="order of the interleaving")
    args = parser.parse_args(argv)
    _install_adapter()
    options = CompareOptions(threshold=args.threshold)
    rng = random.Random(args.seed)
    started = time.monotonic()
    tally = _Tally()

    with tempfile.TemporaryDirectory(prefix="bakeoff-detect-") as tmp:
        root = Path(tmp)
        p50, delays = _calibrate(root, args)
        print(
            f"{ENGINE} {WORKLOAD}: {args.records:,} records, {args.operations:,} ops per trial, "
            f"{args.trials} trials a side, threshold {args.threshold:.0%}, "
            f"CV limit {options.max_cv:.0%}, alpha {options.alpha}"
        )
        print(
            "calibration: median service time "
            + ", ".join(f"{op} {us:.2f} µs" for op, us in sorted(p50.items()))
            + "; injected wait "
            + ", ".join(f"{op} {ns} ns" for op, ns in sorted(delays.items()))
            + f" (calibrated to +{args.slowdown:.0%} of the median)"
        )
        for index in range(args.rounds):
            groups = _round(root / f"round-{index:03d}", args, delays, rng)
            ab = compare_paths(groups["ab-base"], groups["ab-cand"], options)
            aa = compare_paths(groups["aa-base"], groups["aa-cand"], options)
            tally.add(ab, aa)
            hits, n = _resampled_aa(groups, args, options, rng)
            tally.resampled_hits += hits
            tally.resampled += n
            print(
                f"  round {index + 1:2d}: A/B exit {ab.exit_code} "
                f"({len(ab.regressions)} rows regressed), A/A exit {aa.exit_code} "
                f"({len(aa.regressions)} rows regressed), resampled A/A {hits}/{n} exit 1",
                flush=True,
            )
    _report(tally)
    print(f"elapsed {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
