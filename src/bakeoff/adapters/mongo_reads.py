"""The reads of the MongoDB data models: filters, find() and aggregation pipelines.

Compiled once per operation over a `Source`, so the same code reads a root collection, a
referenced child collection, or children embedded in their parent (``$unwind``).

What FerretDB v1.24 lacks shapes the aggregates (each probed against its server, each
answering "not implemented yet" unless said otherwise): ``$group`` accumulates only with
``$sum`` and ``$count`` (``$avg``, ``$min``, ``$max``, ``$first``, ``$push`` are
missing); no arithmetic expression operator exists (``$subtract``, ``$mod``,
``$multiply``, ``$divide``, ``$floor``, ``$add``, ``$cond``), nor ``$bucket``,
``$facet`` or ``$lookup``. Worse, a ``$group`` with two accumulators computes only the
first and answers 0 for the others, silently. Hence: an average is two pipelines, the
server's per-group sums and counts, divided by the client; min and max without groups
are a sort and a limit; grouped min and max, and groups by a bucket
(``field // bucket * bucket``), are computed by the client over the matching rows' two
fields (the ``client_aggregate`` workaround).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bakeoff.adapters.client_aggregate import aggregate_rows, ranked_groups
from bakeoff.adapters.data_model import OperationPlan, Prepared
from bakeoff.adapters.mongo_documents import ID, Source, at_path, decoder, encoder
from bakeoff.core.schema import OperationSpec, Parameters

Filter = dict[str, Any]
Pipeline = list[dict[str, Any]]
RunPipeline = Callable[[str, Pipeline], list[dict[str, Any]]]
"""Runs an aggregation pipeline on a collection and returns every result document."""

_NO_EXPRESSIONS = (
    "FerretDB v1.24 has no arithmetic expression operators ($subtract, $mod …): the client "
    "buckets the matching rows"
)
_NO_MIN_MAX = "FerretDB v1.24's $group has no $min or $max: the client groups the matching rows"
_AVG = (
    "avg is the server's $sum and $count per group (two pipelines: FerretDB has no $avg, and"
    " computes only the first accumulator of a $group), divided by the client"
)


def aggregate_plan(op: OperationSpec) -> OperationPlan:
    """How an aggregate runs; a client-side part is labelled a workaround."""
    group = op.group_by
    if group is not None and group.bucket is not None:
        return OperationPlan(workaround="client_aggregate", note=_NO_EXPRESSIONS)
    if group is not None and op.function in ("min", "max"):
        return OperationPlan(workaround="client_aggregate", note=_NO_MIN_MAX)
    if op.function == "avg" and group is not None and op.limit is not None:
        note = f"{_AVG}; the client orders the groups by average and cuts them"
        return OperationPlan(workaround="client_aggregate", note=note)
    if op.function == "avg":
        return OperationPlan(note=_AVG)
    return OperationPlan()


def match_builder(src: Source, op: OperationSpec) -> Callable[[Parameters], Filter]:
    """The filter of a find, range or aggregate (value, partition, window), from its
    parameters."""
    entity = src.entity
    parts: list[tuple[str, str, Callable[[Any], Any]]] = []
    if op.kind == "find" and op.field is not None:
        parts.append(("value", src.path(op.field), encoder(entity, op.field)))
    if op.partition is not None:
        parts.append(("partition", src.path(op.partition), encoder(entity, op.partition)))
    window = op.window
    window_path = src.path(window.field) if window else ""
    window_encode = encoder(entity, window.field) if window else None

    def match(params: Parameters) -> Filter:
        found: Filter = {path: encode(params[name]) for name, path, encode in parts}
        if window_encode is not None and "low" in params:
            found[window_path] = {
                "$gte": window_encode(params["low"]),
                "$lt": window_encode(params["high"]),
            }
        return found

    return match


def pipeline_head(src: Source, match: Filter) -> Pipeline:
    """The stages that select the rows: the match, and for embedded rows the unwind and
    the match again (before it, the match selects whole parent documents)."""
    stages: Pipeline = [{"$match": match}] if match else []
    if src.unwind is not None:
        stages.append({"$unwind": f"${src.unwind}"})
        if match:
            stages.append({"$match": match})
    return stages


def compile_aggregate(src: Source, op: OperationSpec, run: RunPipeline) -> Prepared:
    match = match_builder(src, op)
    plan = aggregate_plan(op)
    group = op.group_by
    group_decode = decoder(src.entity, group.field) if group else None
    group_path = src.path(group.field) if group else None
    function = op.function or "count"
    if plan.workaround == "client_aggregate":
        return _client_aggregate(src, op, run, match)
    if group is None and function in ("min", "max"):
        return _extreme(src, op, run, match)
    if function == "avg":
        assert op.field is not None
        return _average(src, op, run, match, group_path, group_decode)
    accumulator: dict[str, Any] = (
        {"$count": {}} if function == "count" else {"$sum": f"${src.path(op.field or '')}"}
    )
    tail: Pipeline = [
        {"$group": {ID: f"${group_path}" if group_path else None, "value": accumulator}}
    ]
    if group is not None and op.limit is not None:
        tail += [{"$sort": {"value": -1 if op.order == "desc" else 1, ID: 1}}, {"$limit": op.limit}]
    elif group is not None:
        tail.append({"$sort": {ID: 1}})

    def aggregate(params: Parameters) -> object:
        results = run(src.collection, pipeline_head(src, match(params)) + tail)
        if group_decode is None:
            if results:
                return results[0]["value"]
            return 0 if function == "count" else None
        return [{"group": group_decode(r[ID]), "value": r["value"]} for r in results]

    return aggregate


def _average(
    src: Source,
    op: OperationSpec,
    run: RunPipeline,
    match: Callable[[Parameters], Filter],
    group_path: str | None,
    group_decode: Callable[[Any], Any] | None,
) -> Prepared:
    """avg: one pipeline for the sums, one for the counts (FerretDB v1.24 computes only
    the first accumulator of a $group), divided by the client."""
    assert op.field is not None
    path = src.path(op.field)
    group_id = f"${group_path}" if group_path else None
    present: Pipeline = [{"$match": {path: {"$ne": None}}}]
    sums: Pipeline = [{"$group": {ID: group_id, "value": {"$sum": f"${path}"}}}]
    counts: Pipeline = [{"$group": {ID: group_id, "value": {"$count": {}}}}]

    def average(params: Parameters) -> object:
        head = pipeline_head(src, match(params)) + present
        totals = {r[ID]: r["value"] for r in run(src.collection, head + sums)}
        averages = {
            r[ID]: totals[r[ID]] / r["value"]
            for r in run(src.collection, head + counts)
            if r[ID] in totals and r["value"]
        }
        if group_decode is None:
            return averages.get(None)
        return ranked_groups(op, ((group_decode(g), v) for g, v in averages.items()))

    return average


def _extreme(src: Source, op: OperationSpec, run: RunPipeline, match: Any) -> Prepared:
    """min or max without groups: the first row in the field's order (an index can serve
    it), skipping absent values."""
    assert op.field is not None
    path = src.path(op.field)
    decode = decoder(src.entity, op.field)
    tail: Pipeline = [
        {"$match": {path: {"$ne": None}}},
        {"$sort": {path: 1 if op.function == "min" else -1}},
        {"$limit": 1},
        {"$project": {path: 1}},
    ]

    def extreme(params: Parameters) -> object:
        results = run(src.collection, pipeline_head(src, match(params)) + tail)
        return decode(at_path(results[0], path)) if results else None

    return extreme


def _client_aggregate(
    src: Source, op: OperationSpec, run: RunPipeline, match: Callable[[Parameters], Filter]
) -> Prepared:
    """The rows' group and value fields fetched, the aggregate computed by the client."""
    assert op.group_by is not None
    names = list(dict.fromkeys(n for n in (op.group_by.field, op.field) if n))
    fields = [(n, src.path(n), decoder(src.entity, n)) for n in names]
    projection: Pipeline = [{"$project": {path: 1 for _, path, _ in fields}}]

    def client_aggregate(params: Parameters) -> object:
        results = run(src.collection, pipeline_head(src, match(params)) + projection)
        rows = ({n: decode(at_path(d, path)) for n, path, decode in fields} for d in results)
        return aggregate_rows(op, rows)

    return client_aggregate
