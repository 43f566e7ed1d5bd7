"""Query plans of a MongoDB data model's read operations: the find and aggregate
commands one call sends, recorded while it runs with a verification parameter set, then
each explained as the MongoDB adapter explains its own (`mongo_explain`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bakeoff.adapters.mongo_explain import mongo_plan
from bakeoff.core.query_plans import QueryPlan


class RecordingCollection:
    """A collection that notes each find and aggregate as the command it sends."""

    def __init__(self, collection: Any, recorded: list[dict[str, Any]]) -> None:
        self._collection = collection
        self._recorded = recorded

    def find(
        self,
        match: Mapping[str, Any],
        projection: Mapping[str, Any] | None = None,
        *,
        sort: Sequence[tuple[str, int]] | None = None,
        limit: int = 0,
        batch_size: int = 0,
    ) -> Any:
        command: dict[str, Any] = {"find": self._collection.name, "filter": dict(match)}
        if sort:
            command["sort"] = dict(sort)
        if limit:
            command["limit"] = limit
        self._recorded.append(command)
        return self._collection.find(
            match, projection, sort=sort, limit=limit, batch_size=batch_size
        )

    def aggregate(self, stages: Sequence[Mapping[str, Any]]) -> Any:
        name = self._collection.name
        self._recorded.append({"aggregate": name, "pipeline": list(stages), "cursor": {}})
        return self._collection.aggregate(stages)


class RecordingDatabase:
    """The model's database, handing out recording collections."""

    def __init__(self, database: Any) -> None:
        self.database = database
        self.recorded: list[dict[str, Any]] = []

    def __getitem__(self, name: str) -> RecordingCollection:
        return RecordingCollection(self.database[name], self.recorded)


def explain_read(
    database: Any, run: Callable[[RecordingDatabase], object], name: str
) -> list[QueryPlan]:
    """`run` the read operation once on a recording database, then explain each command
    it sent ("name", or "name#2" for its second command)."""
    recording = RecordingDatabase(database)
    run(recording)
    plans = []
    for number, command in enumerate(recording.recorded, start=1):
        answer = database.command({"explain": command, "verbosity": "executionStats"})
        plans.append(mongo_plan(name if number == 1 else f"{name}#{number}", command, answer))
    return plans
