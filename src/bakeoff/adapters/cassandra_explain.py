"""Query plans on Cassandra: the trace of one request, summarised.

CQL has no EXPLAIN. ``session.execute(..., trace=True)`` runs the statement once with
tracing on, and the coordinator and replicas write what they did to ``system_traces``: a
read by partition key says "Executing single-partition query", a token-range read
"Executing seq scan across N sstables". Only reads are traced: tracing executes the
statement, and a traced write would change the data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from bakeoff.core.query_plans import AccessPath, QueryPlan

_LIVE_ROWS = re.compile(r"Read (\d+) live rows")
_SSTABLES = re.compile(r"Merged data from memtables and (\d+) sstables")
_SEQ_SCAN = re.compile(r"Executing seq scan across (\d+) sstables(?: for (\S+), (\S+))?")
_WHOLE_RING = "(min("
"""A token range from the ring's minimum to the minimum again is the whole table."""


def trace_lines(events: Iterable[Any]) -> list[str]:
    """The trace as text: elapsed µs at its source, the source, what it did."""
    lines = []
    for event in events:
        elapsed = getattr(event, "source_elapsed", None)
        micros = int(elapsed.total_seconds() * 1e6) if elapsed is not None else 0
        lines.append(f"{micros:>8} µs  {event.source}  {event.description}")
    return lines


def trace_plan(shape: str, statement: str, descriptions: list[str], raw: str) -> QueryPlan:
    """The access path a trace shows, with the live rows its replicas read."""
    text = "\n".join(descriptions)
    scan = _SEQ_SCAN.search(text)
    if scan and (scan[2] or "").startswith(_WHOLE_RING) and (scan[3] or "").startswith("min("):
        path, detail = AccessPath.FULL_SCAN, f"scan of the whole token ring ({scan[1]} sstables)"
    elif scan:
        path, detail = AccessPath.INDEX_RANGE, f"token range scan across {scan[1]} sstables"
    elif "single-partition query" in text:
        path, detail = AccessPath.KEY_LOOKUP, "single-partition query (partition key)"
    else:
        path, detail = AccessPath.UNKNOWN, ""
    rows = [int(n) for n in _LIVE_ROWS.findall(text)]
    sstables = _SSTABLES.findall(text)
    note = f"merged from memtables and {', '.join(sstables)} sstables" if sstables else None
    return QueryPlan(
        shape,
        statement,
        path,
        detail,
        # Each replica (and a retried read) reports its own count: the largest is the
        # rows the request read, where a sum would count them once per report.
        actual_rows=float(max(rows)) if rows else None,
        analyzed=True,
        raw=raw,
        note=note,
    )


def untraced_write(shape: str, statement: str) -> QueryPlan:
    note = "not traced: tracing executes the statement, and a write would change the data"
    return QueryPlan(shape, statement, AccessPath.UNKNOWN, "", note=note)
