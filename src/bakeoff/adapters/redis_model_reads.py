"""The Redis `hashes` model's reads: get, find, range and aggregate, compiled once.

Each read is one round trip: HGETALL for a get without children, a Lua script
(`redis_model_scripts`) for anything that looks rows up through a sorted set first,
ZCOUNT for a count. The client decodes, breaks ties by key and cuts to the limit;
a count or a sum per group field over all rows reads the sorted set every write keeps
up (`maintained`); other aggregates are computed by the client over the fetched fields.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bakeoff.adapters.client_aggregate import aggregate_rows, ranked_groups
from bakeoff.adapters.data_model import Prepared
from bakeoff.adapters.redis_model_codec import EntityLayout, decode, encode
from bakeoff.adapters.redis_model_link import Session
from bakeoff.adapters.redis_model_scripts import COUNT, FETCH, GET_WITH_CHILDREN, TOP
from bakeoff.core.schema import OperationSpec, Parameters, Row

_FULL = ("-inf", "+inf")


@dataclass(frozen=True)
class Selection:
    """Which sorted set a find, range or aggregate reads, and what is left to the client.

    Native when the set holds exactly the wanted rows in the wanted order: the value's
    index set for a find; the partition's set (or every row's), scored by the window's
    field, for a range. Otherwise the rows are filtered: the script matches the value or
    the partition as it reads the rows, and the client checks the window.
    """

    layout: EntityLayout
    match: str | None
    """The field the script matches against a parameter (find: `field`; else `partition`)."""
    parameter: str
    """The parameter holding the matched value ("value" or "partition")."""
    window: str | None
    index_set: bool
    partition_set: bool
    by_score: bool
    """Whether the set's scores are the window's field (the server takes the window)."""

    @classmethod
    def of(cls, layout: EntityLayout, op: OperationSpec) -> Selection:
        spec = layout.spec
        if op.kind == "find":
            indexed = op.field in spec.indexes
            return cls(layout, op.field, "value", None, indexed, False, False)
        window = op.window.field if op.window else None
        by_partition = op.partition is not None and op.partition == spec.partition
        by_score = window is not None and window == layout.ordering
        return cls(layout, op.partition, "partition", window, False, by_partition, by_score)

    @property
    def native(self) -> bool:
        if self.parameter == "value":
            return self.index_set
        return (self.match is None or self.partition_set) and (self.window is None or self.by_score)

    @property
    def ordered(self) -> bool:
        """Whether the set is in the order asked for, so the server may cut at the limit."""
        return self.index_set or self.by_score

    def set_key(self, params: Parameters) -> str:
        if self.index_set:
            assert self.match is not None
            return self.layout.index_set(self.match, self._matched(params))
        if self.partition_set:
            return self.layout.partition_set(self._matched(params))
        return self.layout.all_rows

    def bounds(self, params: Parameters) -> tuple[str, str]:
        if self.by_score:
            return str(params["low"]), f"({params['high']}"
        return _FULL

    def script_args(self, params: Parameters) -> list[str]:
        """FETCH's match arguments: the field and its encoded value, or nothing."""
        if self.match is None:
            return ["", ""]
        return [self.match, self._matched(params)]

    def in_window(self, row: Row, params: Parameters) -> bool:
        if self.window is None or self.by_score:
            return True
        value: Any = row[self.window]
        return value is not None and params["low"] <= value < params["high"]

    def _matched(self, params: Parameters) -> str:
        assert self.match is not None
        return encode(self.layout.spec.fields[self.match], params[self.parameter])


def compile_read(session: Session, op: OperationSpec) -> Prepared:
    layout = session.layouts[op.entity]
    if op.kind == "get":
        return _get(session, layout, op)
    if op.kind == "aggregate":
        return _aggregate(session, layout, op)
    return _rows(session, layout, op)


def _get(session: Session, layout: EntityLayout, op: OperationSpec) -> Prepared:
    link, prefix = session.link, layout.prefix
    children = session.children(op.entity) if op.with_children else []
    if not children:

        def get(params: Parameters) -> Row | None:
            flat = link.call("HGETALL", f"{prefix}{params['key']}")
            return layout.decode_pairs(flat) if flat else None

        return get
    child_prefixes = [c.prefix for c in children]

    def get_with_children(params: Parameters) -> Row | None:
        reply = link.script(GET_WITH_CHILDREN, (), [prefix, str(params["key"]), *child_prefixes])
        if not reply:
            return None
        row = layout.decode_pairs(reply[0])
        for child, rows in zip(children, reply[1:], strict=True):
            row[child.name] = [child.decode_pairs(r) for r in rows]
        return row

    return get_with_children


def _fetcher(
    session: Session, selection: Selection, fields: Sequence[str], limit: int | None, desc: bool
) -> Callable[[Parameters], list[Row]]:
    """Rows through the selection's set (all fields, or `fields` with a key field first),
    the server cutting at `limit` when the set's order is the one asked for."""
    link, layout = session.link, selection.layout
    structure = layout.structure()
    server_limit = str(limit) if limit and selection.ordered else "0"
    ties = "1" if server_limit != "0" and not selection.index_set else ""
    direction = "1" if desc and selection.ordered else ""

    def fetch(params: Parameters) -> list[Row]:
        low, high = selection.bounds(params)
        args = [*structure, low, high, direction, server_limit, ties]
        args += selection.script_args(params)
        reply = link.script(FETCH, [selection.set_key(params)], [*args, *fields])
        if fields:
            rows = [layout.decode_fields(fields, r) for r in reply]
        else:
            rows = [layout.decode_pairs(r) for r in reply]
        return [r for r in rows if selection.in_window(r, params)]

    return fetch


def _rows(session: Session, layout: EntityLayout, op: OperationSpec) -> Prepared:
    selection = Selection.of(layout, op)
    desc = op.order == "desc"
    fetch = _fetcher(session, selection, (), op.limit, desc)
    ordering = op.window.field if op.window else None
    limit = op.limit

    def rows(params: Parameters) -> list[Row]:
        found = fetch(params)
        found.sort(key=layout.sort_key)
        if ordering is not None:  # stable: ties stay in key order, even descending
            found.sort(key=lambda r: r[ordering], reverse=desc)  # type: ignore[arg-type,return-value]
        return found[:limit] if limit else found

    return rows


def maintained(layout: EntityLayout, op: OperationSpec) -> str | None:
    """The sorted set holding `op`'s answer per group, kept up by every write, if any:
    a count or a sum of a total field, per group field, over all rows."""
    group = op.group_by
    if group is None or group.bucket or op.window or op.partition:
        return None
    if group.field not in layout.groups:
        return None
    if op.function == "count" and op.field is None:
        return layout.rows_per_group(group.field)
    if op.function == "sum" and op.field in layout.totals:
        return layout.total_per_group(op.field, group.field)
    return None


def _aggregate(session: Session, layout: EntityLayout, op: OperationSpec) -> Prepared:
    selection = Selection.of(layout, op)
    if op.function == "count" and op.group_by is None and selection.native:
        return _count(session, selection)
    per_group = maintained(layout, op)
    if per_group is not None:
        return _per_group(session, layout, op, per_group)
    fields = [layout.spec.key[0]]
    for name in (op.field, op.group_by.field if op.group_by else None, selection.window):
        if name is not None and name not in fields:
            fields.append(name)
    fetch = _fetcher(session, selection, fields, None, False)

    def aggregate(params: Parameters) -> object:
        return aggregate_rows(op, fetch(params))

    return aggregate


def _count(session: Session, selection: Selection) -> Prepared:
    link, structure = session.link, selection.layout.structure()

    def count(params: Parameters) -> int:
        low, high = selection.bounds(params)
        return int(link.script(COUNT, [selection.set_key(params)], [*structure, low, high]))

    return count


def _per_group(
    session: Session, layout: EntityLayout, op: OperationSpec, per_group: str
) -> Prepared:
    assert op.group_by is not None
    link, group = session.link, layout.spec.fields[op.group_by.field]
    args = [*layout.structure(), "1" if op.order == "desc" else "", str(op.limit or 0)]

    def aggregate(params: Parameters) -> list[dict[str, object]]:
        flat = link.script(TOP, [per_group], args)
        values = {
            decode(group, m): int(float(v)) for m, v in zip(flat[::2], flat[1::2], strict=True)
        }
        return ranked_groups(op, values.items())

    return aggregate
