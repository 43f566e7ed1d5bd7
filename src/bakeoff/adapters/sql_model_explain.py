"""Query plans of a SQL data model's read operations: the statements one call sends,
recorded while it runs with a verification parameter set, then each explained as the
SQL adapter explains its own (`sql_explain`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bakeoff.adapters.sql_explain import explain_statement
from bakeoff.adapters.sql_session_base import SqlConnection
from bakeoff.adapters.sql_statements import CompiledStatement
from bakeoff.core.query_plans import QueryPlan
from bakeoff.core.schema import Parameters


class RecordingConnection(SqlConnection):
    """The model's connection, sharing its state, that notes every query it runs."""

    def __init__(self, db: SqlConnection) -> None:  # shares the state, opens nothing
        self.__dict__.update(db.__dict__)
        self.recorded: list[tuple[CompiledStatement, dict[str, Any]]] = []

    def query(self, stmt: CompiledStatement, values: Mapping[str, Any]) -> list[Any]:
        self.recorded.append((stmt, dict(values)))
        return super().query(stmt, values)


def explain_read(
    db: SqlConnection,
    prepare: Callable[[SqlConnection], Callable[[Parameters], object]],
    name: str,
    parameters: Parameters,
) -> list[QueryPlan]:
    """Run the read operation `prepare` compiles once on a recording connection, then
    explain each statement it sent ("name", or "name#2" for its second statement)."""
    recording = RecordingConnection(db)
    prepare(recording)(parameters)
    session = db.session
    plans = []
    for number, (stmt, values) in enumerate(recording.recorded, start=1):
        shape = name if number == 1 else f"{name}#{number}"
        plans.append(
            explain_statement(
                session.cursor, session.dialect, shape, stmt.sql, stmt.params(values), False
            )
        )
    return plans
