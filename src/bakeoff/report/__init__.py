"""Results: the tidy schema, the run store and summaries. pandas is the public result API."""

from bakeoff.report.store import RunExistsError, RunWriter, TrialRecord, load, load_manifest
from bakeoff.report.summary import summarize

__all__ = ["RunExistsError", "RunWriter", "TrialRecord", "load", "load_manifest", "summarize"]
