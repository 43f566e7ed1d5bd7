"""Reports: HTML, Markdown, plots and exports built from stored runs.

`load` and `summarize` (from `bakeoff.results`) are re-exported here because
`bakeoff.report.load("results")` is the documented way to get a run as a DataFrame;
`telemetry("results")` reads the runs' telemetry beside it (docs/telemetry.md).
"""

from bakeoff.results import load, load_manifest, summarize
from bakeoff.results import load_telemetry as telemetry

__all__ = ["load", "load_manifest", "summarize", "telemetry"]
