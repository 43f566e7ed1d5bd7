"""Query plans of a Cassandra data model's read operations: the statements one call
sends, recorded while it runs with a verification parameter set, then each run once more
with tracing and summarised as the Cassandra adapter summarises its own
(`cassandra_explain`). Only reads are explained: tracing executes the statement."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bakeoff.adapters.cassandra_explain import trace_lines, trace_plan
from bakeoff.core.query_plans import QueryPlan

TRACE_WAIT_S = 10.0


class RecordingSession:
    """The model's session, noting each statement it is asked to execute."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.recorded: list[tuple[Any, Sequence[object]]] = []

    def execute(self, statement: Any, params: Sequence[object] = (), **options: Any) -> Any:
        self.recorded.append((statement, params))
        return self.session.execute(statement, params, **options)

    def execute_async(self, statement: Any, params: Sequence[object] = (), **options: Any) -> Any:
        self.recorded.append((statement, params))
        return self.session.execute_async(statement, params, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)


def explain_read(
    session: Any, run: Callable[[RecordingSession], object], name: str
) -> list[QueryPlan]:
    """`run` the read operation once on a recording session, then trace each statement it
    sent ("name", or "name#2" for its second statement)."""
    recording = RecordingSession(session)
    run(recording)
    plans = []
    for number, (statement, params) in enumerate(recording.recorded, start=1):
        result = session.execute(statement, params, trace=True)
        list(result)
        events = list(result.get_query_trace(max_wait_sec=TRACE_WAIT_S).events)
        text = str(getattr(statement, "query_string", statement))
        shape = name if number == 1 else f"{name}#{number}"
        descriptions = [str(event.description) for event in events]
        plans.append(trace_plan(shape, text, descriptions, "\n".join(trace_lines(events))))
    return plans
