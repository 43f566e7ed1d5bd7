"""figures(): one definition of each figure across trials, a TOTAL that cannot contradict
its parts, and the verdicts between engines (decided, flips)."""

from __future__ import annotations

import dataclasses
import importlib
import random
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from bakeoff.core.measures import IntervalRow
from bakeoff.results import RunWriter, load
from bakeoff.results.figures import FIGURE_COLUMNS, repetition_figures
from bakeoff.results.summary import TOTAL

_summary_tests = importlib.import_module("test_summary")
interval_row: Callable[..., IntervalRow] = _summary_tests.interval_row
trial_record: Callable[..., Any] = _summary_tests.trial_record
latencies: Callable[..., list[int]] = _summary_tests.latencies

Trials = Mapping[str, Sequence[Mapping[str, list[list[int]]]]]
"""engine → per repetition, operation → per interval, latencies in ns."""


def write(tmp_path: Path, trials: Trials) -> pd.DataFrame:
    writer = RunWriter(tmp_path, run_id="fig")
    number = 0
    repetitions = max(len(r) for r in trials.values())
    for repetition in range(repetitions):  # interleaved, as the runner does
        for engine, runs in trials.items():
            rows = [
                interval_row(op, i, values)
                for op, intervals in runs[repetition].items()
                for i, values in enumerate(intervals)
            ]
            record = trial_record(number, rows)
            writer.add_trial(dataclasses.replace(record, engine=engine, repetition=repetition))
            number += 1
    return load(writer.finish("ok"))


def by_key(frame: pd.DataFrame) -> dict[tuple[str, str], dict[Any, Any]]:
    return {(str(r["engine"]), str(r["operation"])): r for r in frame.to_dict("records")}


def test_the_total_max_is_the_largest_of_its_parts(tmp_path: Path) -> None:
    # The terminal once took the median of the trials' maxima: TOTAL 10 ms over parts of
    # 1 ms each. One definition (the largest of all trials) cannot do that.
    ms = 1_000_000
    slow, fast = [[10 * ms] + [ms // 10] * 99], [[ms] + [ms // 10] * 99]
    trials = {"db": [{"read": fast, "update": slow}, {"read": slow, "update": fast}]}
    trials["db"].append({"read": fast, "update": fast})
    rows = by_key(repetition_figures(write(tmp_path, trials)))
    maxima = [rows["db", op]["max_us"] for op in ("read", "update")]
    assert rows["db", TOTAL]["max_us"] == max(maxima) == pytest.approx(10_000, rel=1e-3)


@pytest.mark.parametrize("seed", range(4))
def test_a_total_never_contradicts_its_parts(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    trials: dict[str, list[Mapping[str, list[list[int]]]]] = {}
    for engine in ("a", "b"):
        trials[engine] = [
            {
                op: [latencies(rng, rng.randint(50, 400), rng.uniform(1e4, 1e6)) for _ in range(3)]
                for op in ("read", "update", "scan")
            }
            for _ in range(3)
        ]
    frame = repetition_figures(write(tmp_path, trials))
    assert list(frame.columns) == list(FIGURE_COLUMNS)
    rows = by_key(frame)
    for engine in ("a", "b"):
        total = rows[engine, TOTAL]
        parts = [rows[engine, op] for op in ("read", "update", "scan")]
        assert total["ops_per_s"] == pytest.approx(sum(p["ops_per_s"] for p in parts))
        assert sum(p["share"] for p in parts) == pytest.approx(1.0)
        for column in ("count", "errors", "not_found"):
            assert total[column] == sum(p[column] for p in parts)
        assert total["max_us"] == max(p["max_us"] for p in parts)
        for column in ("p50_us", "p90_us", "p99_us", "p999_us", "mean_us"):
            values = [p[column] for p in parts]
            assert min(values) <= total[column] <= max(values), column


def constant(rate: int, intervals: int = 6) -> dict[str, list[list[int]]]:
    return {"read": [[100_000] * rate for _ in range(intervals)]}


def test_engines_apart_are_decided_and_the_slowest_has_no_verdict(tmp_path: Path) -> None:
    trials = {
        "fast": [constant(900), constant(950), constant(1000)],
        "slow": [constant(100), constant(110), constant(120)],
    }
    rows = by_key(repetition_figures(write(tmp_path, trials)))
    assert rows["fast", TOTAL]["decided"] is True
    assert rows["slow", TOTAL]["decided"] is None
    assert rows["fast", TOTAL]["flips_with"] == rows["slow", TOTAL]["flips_with"] == ""
    assert rows["fast", TOTAL]["ops_spread"] == "range of 3 trials"


def test_a_ranking_that_flips_between_repetitions_is_not_decided(tmp_path: Path) -> None:
    # The Redis: 16,733 / 6,800 / 7,282 ops/s against a steady engine.
    trials = {
        "redis": [constant(1673), constant(680), constant(728)],
        "postgres": [constant(800), constant(790), constant(810)],
    }
    rows = by_key(repetition_figures(write(tmp_path, trials)))
    redis, postgres = rows["redis", TOTAL], rows["postgres", TOTAL]
    assert redis["flips_with"] == "postgres" and postgres["flips_with"] == "redis"
    assert redis["unstable"] and redis["ops_cv"] > 0.5
    assert not postgres["unstable"]
    leader = redis if redis["ops_per_s"] > postgres["ops_per_s"] else postgres
    assert leader["decided"] is False
