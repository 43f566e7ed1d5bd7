"""The report's section on operations that failed: how many, and how long they took
before failing, per workload, engine, operation and error kind.

The tables above it hold successful operations only, so a stall that ended in a timeout
(a paused engine, a lock wait given up) would be invisible without this section. Like
every number in the report it counts trials that finished ok; it is left out when no
operation of theirs failed.
"""

from __future__ import annotations

import pandas as pd

from bakeoff.core.formats import format_duration_us
from bakeoff.core.histogram import merge_encoded, percentiles_us
from bakeoff.report.section_parts import Section, Table
from bakeoff.report.views import ReportData
from bakeoff.results.error_latency import read_error_rows
from bakeoff.results.schema import ERROR_OUTCOME_PREFIX

COLUMNS = ("workload", "engine", "operation", "error", "latency", "failed", "p50", "p99", "max")


def with_error_latency(sections: tuple[Section, ...], report: ReportData) -> tuple[Section, ...]:
    """The methodology's sections, this one added when an operation failed."""
    section = error_latency_section(report)
    return sections if section is None else (*sections, section)


def error_latency_section(report: ReportData) -> Section | None:
    """The section, or None when no operation of a trial that finished ok failed."""
    failed = _measured_errors(report)
    if failed.empty:
        return None
    keys = ["workload", "engine", "operation", "outcome", "latency_kind"]
    rows = []
    for key, group in failed.groupby(keys, sort=True):
        workload, engine, operation, outcome, kind = (str(k) for k in key)
        merged = merge_encoded(h for h in group["histogram"] if h)
        summary = percentiles_us(merged)
        rows.append(
            (
                workload,
                engine,
                operation,
                outcome.removeprefix(ERROR_OUTCOME_PREFIX),
                kind,
                f"{int(merged.get_total_count()):,}",
                *(format_duration_us(summary[c]) for c in ("p50_us", "p99_us", "max_us")),
            )
        )
    return Section(
        "failed-operations",
        "Failed operations",
        (
            "Operations of the measure phase that ended in an error, and how long they "
            "took before failing (summed over the trials that finished ok). The latency "
            "figures elsewhere in this report are of successful operations only.",
        ),
        (Table(COLUMNS, tuple(rows)),),
    )


def _measured_errors(report: ReportData) -> pd.DataFrame:
    trials = report.trials
    ok = set(zip(trials["run_id"].astype(str), trials["trial"].astype(int), strict=True))
    frames = []
    for run in report.runs:
        rows = read_error_rows(run.path)
        rows = rows[rows["phase"] == "measure"]
        keep = [
            (run_id, trial) in ok
            for run_id, trial in zip(rows["run_id"], rows["trial"], strict=True)
        ]
        frames.append(rows[keep])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
