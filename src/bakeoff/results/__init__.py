"""Results: the tidy schema, the run store (writer and the one reader), provenance and
summaries. pandas is the public result API."""

from bakeoff.harness.trial import TrialRecord
from bakeoff.results.figures import repetition_figures
from bakeoff.results.reader import load, load_manifest, load_telemetry
from bakeoff.results.run_finish import RunExistsError
from bakeoff.results.summary import summarize
from bakeoff.results.writer import RunWriter

__all__ = [
    "RunExistsError",
    "RunWriter",
    "TrialRecord",
    "load",
    "load_manifest",
    "load_telemetry",
    "repetition_figures",
    "summarize",
]
