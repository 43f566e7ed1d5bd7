from __future__ import annotations

import math

from bakeoff.core.formats import (
    as_text,
    format_change,
    format_duration_us,
    format_fixed,
    format_memory,
    format_metric,
    format_number,
    format_p,
    format_percent,
    format_range,
    format_rate,
    format_timestamp,
)


def test_format_number() -> None:
    assert format_number(35629.3) == "35,629"
    assert format_number(479.54) == "479.5"
    assert format_number(7.7) == "7.70"
    assert format_number(9.9996) == "10.0"
    assert format_number(999.96) == "1,000"
    assert format_number(0.01234) == "0.0123"
    assert format_number(math.nan) == "–"


def test_table_formats_write_a_dash_for_no_number() -> None:
    assert format_range(1234.5, 9.9996) == "1,234–10.0"
    assert format_fixed(35629.4) == "35,629"
    assert format_fixed(479.54, 1) == "479.5"
    assert format_metric(35629.4, "ops/s") == "35,629"
    assert format_metric(479.54, "µs") == "479.5"
    assert format_percent(0.0312) == "3.1%"
    assert format_p(0.012345) == "0.0123"
    assert format_change(0.04, 0.012, 0.069) == "+4.0% [+1.2%, +6.9%]"
    for text in (
        format_fixed(math.nan),
        format_metric(math.inf, "ops/s"),
        format_percent(math.nan),
        format_p(math.nan),
        format_change(math.nan, 0.0, 0.0),
    ):
        assert text == "–"


def test_manifest_values_as_text() -> None:
    assert as_text(None) == ""
    assert as_text(True) == "yes"
    assert as_text(4.0) == "4"
    assert as_text(2.5) == "2.5"
    assert format_memory(16 * 2**30) == "16.0 GiB"
    assert format_memory(None) == "unknown"
    assert format_timestamp("2026-11-25T13:01:31.5Z") == "2026-11-25 13:01:31 UTC"
    assert format_timestamp("yesterday") == "yesterday"


def test_tick_labels() -> None:
    assert format_duration_us(500) == "500 µs"
    assert format_duration_us(2000) == "2 ms"
    assert format_duration_us(1.5e6) == "1.5 s"
    assert format_duration_us(0.25) == "250 ns"
    assert format_duration_us(0) == ""
    assert format_rate(950) == "950"
    assert format_rate(12_500) == "12.5k"
    assert format_rate(1_200_000) == "1.2M"
    assert format_rate(math.nan) == ""
