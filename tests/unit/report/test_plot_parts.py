"""Plots over time draw trials, not a median that jumps where a trial ends, and no lone dots."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bakeoff.report.plot_parts import covered_median, repetition_words, trial_lines


def series(trials: dict[tuple[str, int], list[float]]) -> pd.DataFrame:
    rows = [
        {"engine": e, "run_id": "r", "trial": t, "start_s": float(i), "duration_s": 1.0, "v": v}
        for (e, t), values in trials.items()
        for i, v in enumerate(values)
    ]
    return pd.DataFrame(rows)


def test_the_median_stops_where_the_shortest_trial_ends() -> None:
    # The Redis: 14k ops/s in one long trial, 5.5k in two short ones; a median
    # of whatever trials were still running fell from 14k to 5.5k.
    frame = series({("redis", 0): [14e3] * 6, ("redis", 1): [5.5e3] * 3, ("redis", 2): [6e3] * 3})
    x, y = covered_median(frame, "v")
    assert list(x) == [0.5, 1.5, 2.5]
    assert list(y) == [6e3, 6e3, 6e3]
    lines = trial_lines(frame, "v")
    assert [len(line[0]) for line in lines] == [6, 3, 3]


def test_a_trial_of_one_interval_is_not_drawn_and_the_caption_says_so() -> None:
    frame = series({("sqlite", 0): [40e3], ("duckdb", 1): [300.0, 320.0, 310.0]})
    assert trial_lines(frame[frame["engine"] == "sqlite"], "v") == []
    (line,) = trial_lines(frame[frame["engine"] == "duckdb"], "v")
    assert np.array_equal(line[0], [0.5, 1.5, 2.5])
    words = repetition_words(frame)
    assert "trials of sqlite that measured a single interval" in words
    assert "faint" not in words
    repeated = series({("duckdb", 0): [1.0, 2.0], ("duckdb", 1): [1.0, 2.0]})
    assert "faint line (up to 2 per engine)" in repetition_words(repeated)
