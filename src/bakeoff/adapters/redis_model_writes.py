"""The Redis `hashes` model's writes, each one Lua script (atomic, one round trip).

A script and not MULTI/EXEC because every write but a first insert must read before it
writes: an update of an indexed field moves the row from the old value's sorted set to
the new one's, an upsert or a delete removes the old row's children and index entries,
a transaction checks every stock before it decrements any. MULTI/EXEC would need a WATCH
and a read round trip first, and retries when another client wins the race.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import chain

from bakeoff.adapters.data_model import Prepared
from bakeoff.adapters.redis_model_codec import EntityLayout, encode, parse_literal
from bakeoff.adapters.redis_model_link import Session
from bakeoff.adapters.redis_model_scripts import DELETE, PUT, SET_FIELDS, TRANSACTION
from bakeoff.core.schema import OperationSpec, Parameters, Row

LOAD_CHUNK = 200
"""Root rows per PUT script call when loading: short enough not to stall the server."""


def structures(root: EntityLayout, children: Sequence[EntityLayout]) -> list[str]:
    return [*root.structure(), str(len(children)), *chain(*(c.structure() for c in children))]


def row_args(
    root: EntityLayout, children: Sequence[EntityLayout], rows: Sequence[Row]
) -> list[str]:
    """PUT's rows: see `put_rows` in redis_model_scripts."""
    args = [str(len(rows))]
    for row in rows:
        args += [root.row_id(row), str(root.key_score(row)), *root.encode_pairs(row)]
        parent_key = row[root.spec.key[0]]
        for child in children:
            assert child.spec.parent is not None and child.spec.sequence_field is not None
            kids: Sequence[Row] = row.get(child.name) or ()  # type: ignore[assignment]
            args.append(str(len(kids)))
            for given in kids:
                kid = {**given, child.spec.parent.field: parent_key}
                seq = str(kid[child.spec.sequence_field])
                args += [seq, str(child.key_score(kid)), *child.encode_pairs(kid)]
    return args


def put(session: Session, entity: str, rows: Sequence[Row], ttl_s: int | None = None) -> None:
    root, children = session.layouts[entity], session.children(entity)
    head = [str(ttl_s) if ttl_s else "", *structures(root, children)]
    for at in range(0, len(rows), LOAD_CHUNK):
        chunk = rows[at : at + LOAD_CHUNK]
        session.link.script(PUT, (), [*head, *row_args(root, children, chunk)])


def compile_write(session: Session, op: OperationSpec) -> Prepared:
    layout = session.layouts[op.entity]
    match op.kind:
        case "insert" | "upsert":
            return _put(session, op)
        case "update":
            return _update(session, layout, op)
        case "delete":
            return _delete(session, layout, op)
        case "compare_and_set":
            return _compare_and_set(session, layout, op)
        case "transaction":
            return _transaction(session, layout, op)
    raise AssertionError(op.kind)  # pragma: no cover - compile_write gets writes only


def _put(session: Session, op: OperationSpec) -> Prepared:
    entity, ttl_s = op.entity, op.ttl_s

    def write(params: Parameters) -> None:
        put(session, entity, params["rows"], ttl_s)

    return write


def _set_args(layout: EntityLayout, values: Mapping[str, object]) -> list[str]:
    """SET_FIELDS' fields: those set (count and pairs), then those removed (None)."""
    fields = layout.spec.fields
    pairs = [(f, encode(fields[f], v)) for f, v in values.items() if v is not None]
    removed = [f for f, v in values.items() if v is None]
    return [str(len(pairs)), *chain(*pairs), str(len(removed)), *removed]


def _update(session: Session, layout: EntityLayout, op: OperationSpec) -> Prepared:
    link, head = session.link, layout.structure()
    moves = "1" if layout.structural(op.set) else ""

    def update(params: Parameters) -> None:
        key = str(params["key"])
        values: Mapping[str, object] = params["values"]
        link.script(SET_FIELDS, (), [*head, key, key, moves, "", "", *_set_args(layout, values)])

    return update


def _compare_and_set(session: Session, layout: EntityLayout, op: OperationSpec) -> Prepared:
    assert op.field is not None and op.expect is not None and op.to is not None
    link, head = session.link, layout.structure()
    spec = layout.spec.fields[op.field]
    moves = "1" if layout.structural([op.field]) else ""
    # The workload writes expect/to as text; they are compared and stored as the field's.
    expected = encode(spec, parse_literal(spec, op.expect))
    change = _set_args(layout, {op.field: parse_literal(spec, op.to)})

    def compare_and_set(params: Parameters) -> bool:
        key = str(params["key"])
        args = [*head, key, key, moves, op.field, expected, *change]
        return bool(link.script(SET_FIELDS, (), args))

    return compare_and_set


def _delete(session: Session, layout: EntityLayout, op: OperationSpec) -> Prepared:
    link = session.link
    head = structures(layout, session.children(op.entity))

    def delete(params: Parameters) -> None:
        link.script(DELETE, (), [*head, str(params["key"])])

    return delete


def _transaction(session: Session, layout: EntityLayout, op: OperationSpec) -> Prepared:
    assert op.decrement is not None
    decrement = op.decrement
    stock = session.layouts[decrement.entity]
    children = session.children(op.entity)
    lines = next(c for c in children if {decrement.by, decrement.via} <= set(c.spec.fields))
    moves = "1" if stock.structural([decrement.field]) else ""
    head = [*stock.structure(), decrement.field, moves]
    tail = structures(layout, children)
    link = session.link

    def transaction(params: Parameters) -> bool:
        row: Row = params["row"]
        amounts: dict[str, int] = {}
        for line in row.get(lines.name) or ():  # type: ignore[attr-defined]
            via = str(line[decrement.via])
            amounts[via] = amounts.get(via, 0) + int(line[decrement.by])
        pairs = list(chain(*((via, str(n)) for via, n in amounts.items())))
        args = [*head, str(len(amounts)), *pairs, *tail, *row_args(layout, children, [row])]
        return bool(link.script(TRANSACTION, (), args))

    return transaction
