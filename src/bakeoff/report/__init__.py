"""Reports: HTML, Markdown, plots and exports built from stored runs.

`load` and `summarize` (from `bakeoff.results`) are re-exported here because
`bakeoff.report.load("results")` is the documented way to get a run as a DataFrame.
"""

from bakeoff.results import load, load_manifest, summarize

__all__ = ["load", "load_manifest", "summarize"]
