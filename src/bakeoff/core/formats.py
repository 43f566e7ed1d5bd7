"""How bakeoff writes numbers for people: tables, plot ticks, comparisons and timestamps.

A value that is not a number (NaN, infinity: nothing was measured) prints as "–" in a
table and as nothing on a plot tick. Machine-readable exports (CSV, JSON) keep full
precision and do not use these.
"""

from __future__ import annotations

import math
from datetime import datetime

MISSING = "–"
"""What a table shows where there is no number."""

RATE_UNIT = "ops/s"


def as_text(value: object) -> str:
    """A manifest value as a table shows it: nothing for None, yes/no for a flag, 3 for 3.0."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def json_number(value: object) -> object:
    """`value` as JSON can hold it: NaN and infinity become null ("not defined")."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def format_number(value: float) -> str:
    """A table number: 35,629 · 479.5 · 7.70 · 0.123 (three or more significant digits)."""
    if not math.isfinite(value):
        return MISSING
    # Thresholds sit where rounding would carry into the next decade (9.996 → "10.0").
    magnitude = abs(value)
    if magnitude >= 999.95:
        return f"{value:,.0f}"
    if magnitude >= 9.995:
        return f"{value:.1f}"
    if magnitude >= 0.9995:
        return f"{value:.2f}"
    return f"{value:.3g}"


def format_range(low: float, high: float) -> str:
    """`low–high`, each as `format_number` writes it."""
    return f"{format_number(low)}–{format_number(high)}"


def format_fixed(value: float, digits: int = 0) -> str:
    """Thousands separated, a fixed number of decimals: 35,629 · 479.5."""
    number = float(value)
    if not math.isfinite(number):
        return MISSING
    return f"{number:,.{digits}f}"


def format_metric(value: float, unit: str) -> str:
    """A throughput (ops/s) in whole operations, a latency (µs) to a tenth."""
    return format_fixed(value, 0 if unit == RATE_UNIT else 1)


def format_percent(fraction: float) -> str:
    """A fraction as a percentage to a tenth: 0.0312 → 3.1%."""
    return MISSING if not math.isfinite(fraction) else f"{fraction:.1%}"


def format_change(change: float, low: float, high: float) -> str:
    """A relative change with its interval, all as fractions: +4.0% [+1.2%, +6.9%]."""
    if not math.isfinite(change):
        return MISSING
    return f"{change:+.1%} [{low:+.1%}, {high:+.1%}]"


def format_p(p_value: float) -> str:
    """A p-value to three significant digits."""
    return MISSING if not math.isfinite(p_value) else f"{p_value:.3g}"


def format_memory(size_bytes: object) -> str:
    """A memory size in GiB to a tenth, or "unknown"."""
    if isinstance(size_bytes, int | float) and size_bytes > 0:
        return f"{size_bytes / 2**30:.1f} GiB"
    return "unknown"


def format_timestamp(value: str) -> str:
    """An ISO timestamp from a manifest as `2026-11-25 13:01:31 UTC` (else unchanged)."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


# Tick labels: matplotlib calls them with the tick's position as a second argument.


def format_duration_us(value: float, _pos: object = None) -> str:
    """A latency tick label: 500 µs, 2 ms, 1.5 s."""
    if not math.isfinite(value) or value <= 0:
        return ""
    for unit, scale in (("s", 1e6), ("ms", 1e3), ("µs", 1.0)):
        if value >= scale:
            return f"{value / scale:.4g} {unit}"
    return f"{value * 1000:.4g} ns"


def format_rate(value: float, _pos: object = None) -> str:
    """A throughput tick label: 950 · 12.5k · 1.2M."""
    if not math.isfinite(value) or value < 0:
        return ""
    for suffix, scale in (("M", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:.4g}{suffix}"
    return f"{value:.4g}"
