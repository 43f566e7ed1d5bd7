"""The "read this first" block: what differs between the engines of a report beyond the
engine itself (durability, placement, network path, limits)."""

from __future__ import annotations

from collections.abc import Sequence

from bakeoff.results.caveats import caveats
from bakeoff.results.reader import StoredRun


def report_caveats(runs: Sequence[StoredRun]) -> list[str]:
    """The caveats of every run (`bakeoff.results.caveats`), each once, in the order the
    runs first give them."""
    found: dict[str, None] = {}
    for run in runs:
        found.update(dict.fromkeys(caveats(run.manifest)))
    return list(found)
