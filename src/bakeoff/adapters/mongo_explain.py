"""Query plans on the MongoDB wire protocol: the ``explain`` command, summarised.

Reads are explained with ``executionStats`` (the query runs, nothing changes); updates and
deletes with ``queryPlanner`` (planned, not run). An insert has no plan: ``explain`` does
not take one. MongoDB answers with ``queryPlanner.winningPlan`` (stages such as IDHACK,
EXPRESS_IXSCAN, IXSCAN, COLLSCAN); FerretDB v1 answers with its backend's own plan under
``queryPlanner`` and whether it pushed the filter down (docs/query-plans.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from bakeoff.core.query_plans import AccessPath, QueryPlan, QueryShape

KEY = "_id"
_FULL = ("COLLSCAN",)
_BY_KEY = ("IDHACK", "EXPRESS_IXSCAN", "EXPRESS_CLUSTERED_IXSCAN")


def explained_command(table: str, shape: QueryShape) -> dict[str, Any] | None:
    """The command the adapter sends for `shape`, as `explain` takes it (None: insert)."""
    key = shape.key
    if shape.name in ("read", "exists"):
        return {"find": table, "filter": {KEY: key}, "limit": 1}
    if shape.name == "scan":
        return {
            "find": table,
            "filter": {KEY: {"$gte": key}},
            "sort": {KEY: 1},
            "limit": shape.count,
        }
    if shape.name == "update":
        return {"update": table, "updates": [{"q": {KEY: key}, "u": {"$set": dict(shape.values)}}]}
    if shape.name == "delete":
        return {"delete": table, "deletes": [{"q": {KEY: key}, "limit": 1}]}
    return None


def _stages(node: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(node, Mapping):
        if "stage" in node:
            yield node
        for name in ("inputStage", "queryPlan", "winningPlan"):
            if name in node:
                yield from _stages(node[name])
        for child in node.get("inputStages", ()):
            yield from _stages(child)


def mongo_plan(shape: str, command: Mapping[str, Any], answer: Mapping[str, Any]) -> QueryPlan:
    """The summary of an ``explain`` answer from MongoDB or FerretDB."""
    raw = json.dumps(answer, indent=1, default=str)
    statement = json.dumps(command, default=str)
    planner = answer.get("queryPlanner", {})
    stats = answer.get("executionStats") or {}
    analyzed = bool(stats)
    actual = stats.get("nReturned")
    examined = stats.get("totalDocsExamined")
    note = None if examined is None else f"{examined} documents examined"
    for stage in _stages(planner):
        name = str(stage["stage"])
        if name in _FULL:
            path, index = AccessPath.FULL_SCAN, None
        elif name in _BY_KEY:
            path, index = AccessPath.INDEX_LOOKUP, "_id_"
        elif name.endswith("IXSCAN"):
            points = _point_bounds(stage.get("indexBounds"))
            path = AccessPath.INDEX_LOOKUP if points else AccessPath.INDEX_RANGE
            index = stage.get("indexName")
        else:
            continue
        return QueryPlan(
            shape,
            statement,
            path,
            name,
            index=index,
            actual_rows=None if actual is None else float(actual),
            analyzed=analyzed,
            raw=raw,
            note=note,
        )
    return ferretdb_plan(shape, statement, answer, raw)


def _point_bounds(bounds: object) -> bool:
    """Whether every interval of an IXSCAN's bounds is one value: '["k", "k"]'."""
    if not isinstance(bounds, Mapping) or not bounds:
        return False
    for intervals in bounds.values():
        for interval in intervals if isinstance(intervals, list) else [intervals]:
            text = str(interval)
            inner = text[1:-1]
            if not (text.startswith("[") and text.endswith("]")):
                return False
            cuts = [i for i in range(len(inner)) if inner.startswith(", ", i)]
            if not any(inner[:i] == inner[i + 2 :] for i in cuts):
                return False
    return True


_PUSHDOWNS = ("filterPushdown", "sortPushdown", "limitPushdown")


def ferretdb_plan(shape: str, statement: str, answer: Mapping[str, Any], raw: str) -> QueryPlan:
    """FerretDB v1: its backend's plan under ``queryPlanner.Plan`` (SQLite's EXPLAIN QUERY
    PLAN rows, "id=2 parent=0 notused=0 detail=SCAN usertable_b4feec46"; PostgreSQL's
    EXPLAIN) and whether it pushed the filter, sort and limit down. A SCAN of the
    collection's table is a full scan, whatever was pushed down."""
    planner = answer.get("queryPlanner", {})
    rows = planner.get("Plan", []) if isinstance(planner, Mapping) else []
    details = [str(row).split("detail=", 1)[-1] for row in rows] if isinstance(rows, list) else []
    text = "\n".join(details) or json.dumps(planner, default=str)
    if "SEARCH" in text or "Index Scan" in text:
        path = AccessPath.INDEX_RANGE if shape == "scan" else AccessPath.INDEX_LOOKUP
    elif "SCAN" in text or "Seq Scan" in text:
        path = AccessPath.FULL_SCAN
    else:
        path = AccessPath.UNKNOWN
    pushed = [f"{name} {str(answer[name]).lower()}" for name in _PUSHDOWNS if name in answer]
    note = ", ".join(pushed) or None
    return QueryPlan(shape, statement, path, details[0] if details else "", raw=raw, note=note)
