"""The latency of failed operations, summarised apart from the successes'."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bakeoff.results import load
from bakeoff.results.error_latency import (
    ERROR_LATENCY_COLUMNS,
    read_error_rows,
    summarize_errors,
)
from bakeoff.results.writer import RunWriter
from tests.unit.results.test_store import histogram, interval_row, trial_record

EARLIER_RUN = Path(__file__).parents[2] / "data" / "runs" / "20261129T142703Z-7447"


def run_with_errors(tmp_path: Path) -> Path:
    """Two intervals of reads: one timeout of 5 s in the first, 1 and 3 ms fatal errors
    in the second."""
    timeout, _ = histogram([5_000_000_000])
    fatal, _ = histogram([1_000_000, 3_000_000])
    rows = [
        dataclasses.replace(
            interval_row("read", 0), errors_transient=1, error_histograms=(("transient", timeout),)
        ),
        dataclasses.replace(
            interval_row("read", 1), errors_fatal=2, error_histograms=(("fatal", fatal),)
        ),
        interval_row("update", 0),
    ]
    writer = RunWriter(tmp_path, run_id="errs")
    writer.add_trial(trial_record(rows=rows))
    return writer.finish("ok")


def test_errors_are_summarised_per_operation_and_kind(tmp_path: Path) -> None:
    summary = summarize_errors(load(run_with_errors(tmp_path)))
    assert list(summary.columns) == list(ERROR_LATENCY_COLUMNS)
    by_kind = summary.set_index("error_kind")
    assert list(summary["operation"]) == ["read", "read"]
    assert by_kind.loc["transient", "errors"] == 1
    assert by_kind.loc["transient", "max_us"] == pytest.approx(5_000_000, rel=1e-3)
    assert by_kind.loc["fatal", "errors"] == 2
    assert by_kind.loc["fatal", "max_us"] == pytest.approx(3_000, rel=1e-3)


def test_a_run_without_errors_or_from_before_has_none(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path, run_id="clean")
    writer.add_trial(trial_record())
    clean = writer.finish("ok")
    assert summarize_errors(load(clean)).empty
    assert read_error_rows(clean).empty
    assert read_error_rows(EARLIER_RUN).empty
    assert summarize_errors(load(EARLIER_RUN)).empty


def test_only_the_error_rows_are_read(tmp_path: Path) -> None:
    rows = read_error_rows(run_with_errors(tmp_path))
    assert sorted(rows["outcome"]) == ["error:fatal", "error:transient"]
