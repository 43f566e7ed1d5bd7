"""The "read this first" block: what differs between the engines of a report beyond the
engine itself (durability, placement, network path, limits)."""

from __future__ import annotations

from collections.abc import Sequence

from bakeoff.results.reader import StoredRun


def report_caveats(runs: Sequence[StoredRun]) -> list[str]:
    """The caveats of every run, each once, in the order the runs first give them."""
    # TODO(issue 14): each run's list is bakeoff.results.caveats.caveats(run.manifest),
    # written on another branch; joined here once it is merged.
    found: dict[str, None] = {}
    for run in runs:
        found.update(dict.fromkeys(_run_caveats(run)))
    return list(found)


def _run_caveats(run: StoredRun) -> list[str]:
    return []
