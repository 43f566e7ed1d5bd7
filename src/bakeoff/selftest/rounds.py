"""The selftest's rounds: each comparison runs several times, bakeoff and its peers
alternated, and each figure is the median over the rounds.

On a machine shared with other work one run's ratio moves by a tenth or more from one
minute to the next; the median of alternated rounds is what the selftest's figures (and
its bars) are judged on, and each ratio's values per round are kept beside it.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def median_figures(rounds: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One figure per key over the rounds that have it: a number, the median; a tool's
    figures (a dict), the median of each of its numbers and the sum of each count in its
    nested dicts (go-ycsb's errors per operation); anything else, the first round's."""
    merged: dict[str, Any] = {}
    for key in dict.fromkeys(k for figures in rounds for k in figures):
        values = [figures[key] for figures in rounds if key in figures]
        merged[key] = _merged(values)
    return merged


def _merged(values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    if not present:
        return None
    if all(_is_number(v) for v in present):
        return statistics.median(present)
    if all(isinstance(v, Mapping) for v in present):
        keys = dict.fromkeys(k for v in present for k in v)
        return {
            k: _summed([v[k] for v in present if k in v])
            if all(isinstance(v.get(k), Mapping) for v in present if k in v)
            else _merged([v.get(k) for v in present])
            for k in keys
        }
    return present[0]


def _summed(counts: list[Mapping[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for count in counts:
        for name, n in count.items():
            total[name] = total.get(name, 0) + n
    return total


def per_round(rounds: Sequence[Mapping[str, Any]]) -> dict[str, list[float | None]]:
    """Each numeric figure's value in every round (None where a round has none)."""
    keys = dict.fromkeys(k for figures in rounds for k, v in figures.items() if _is_number(v))
    return {k: [figures.get(k) for figures in rounds] for k in keys}
