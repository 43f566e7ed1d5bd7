"""The report's availability table across engines, with the settings that decide
durability beside it (docs/faults.md)."""

from __future__ import annotations

import math

import pandas as pd

from bakeoff.core.formats import format_number
from bakeoff.report.section_parts import Section, Table
from bakeoff.results.availability import RECOVERED_FOR_S, RECOVERED_SHARE

AVAILABILITY_HEADINGS = (
    "engine",
    "workload",
    "fault",
    "detect s",
    "unavailable s",
    "recovery s",
    "p99 before µs",
    "p99 during µs",
    "p99 after µs",
    "stable",
    "lost",
    "stale",
    "durability and consistency",
)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _seconds(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{float(str(value)):.2f}"


def _count(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{int(float(str(value))):,}"


def _micros(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return format_number(float(str(value)))


def availability_section(availability: pd.DataFrame) -> Section | None:
    if availability.empty:
        return None
    rows = tuple(
        (
            str(r["engine"]),
            str(r["label"]),
            str(r["fault"]),
            _seconds(r["detect_s"]),
            _seconds(r["unavailable_s"]),
            "not yet" if _missing(r["recovery_s"]) else _seconds(r["recovery_s"]),
            _micros(r["p99_before_us"]),
            _micros(r["p99_during_us"]),
            _micros(r["p99_after_us"]),
            _count(r["stable"]),
            _count(r["lost"]),
            _count(r["stale"]),
            str(r["durability"]) or "—",
        )
        for r in availability.to_dict("records")
    )
    resolutions = sorted({float(r) for r in availability["resolution_s"].dropna()})
    resolution = ", ".join(f"{r:g} s" for r in resolutions) or "unknown"
    paragraphs = (
        "Per scheduled fault, from the intervals of the measured phase (resolution: "
        f"{resolution}, the interval width). detect: from the fault to the first interval "
        "with an error or no successful operation. unavailable: the total time of the "
        "intervals with an error or no successful operation until the next fault. "
        f"recovery: from the fault until throughput stays at {RECOVERED_SHARE:.0%} of the "
        f"pre-fault median for {RECOVERED_FOR_S:g} s. p99 of successful operations before "
        "the fault, until recovery, and after.",
        "stable / lost / stale: per key, the last acknowledged write read back after "
        "the faults (from the primary, at the strongest consistency offered): still "
        "there, gone, or replaced by an older acknowledged one. Writes that failed or "
        "timed out are indeterminate, never lost (docs/faults.md).",
    )
    table = Table(columns=AVAILABILITY_HEADINGS, rows=rows)
    return Section("availability", "Availability under faults", paragraphs, (table,))
