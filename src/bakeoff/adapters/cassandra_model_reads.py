"""The read operations of the Cassandra data model, compiled for one connection: get,
find, range and aggregate over the query table `bakeoff.adapters.cassandra_query_plan`
chooses. Every result is read whole (all pages) inside the call.

A descending range reads its partition's clustering (window field, key) backwards, which
puts rows of one window value in descending key order, where the answer wants them in
ascending key order: the call reads one row past the limit, and when that row ties with
the last one it re-reads the rows of that value (an equality on the clustering column,
native) to cut at the right key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from bakeoff.adapters.cassandra_cql import identifier
from bakeoff.adapters.cassandra_model_writes import CqlTables, key_tuple
from bakeoff.adapters.cassandra_query_plan import Condition, ReadPath, read_path
from bakeoff.adapters.cassandra_query_tables import columns_cql, readers, select_cql, sort_key
from bakeoff.adapters.cassandra_session import raise_translated
from bakeoff.adapters.client_aggregate import aggregate_rows, ranked_groups
from bakeoff.adapters.data_model import Prepared
from bakeoff.core.schema import OperationKind, OperationSpec, Parameters, Row


def _where(conditions: Sequence[Condition]) -> str:
    parts = []
    for c in conditions:
        name = identifier(c.column, "field")
        parts.append(f"{name} = ?" if c.kind == "equal" else f"{name} >= ? AND {name} < ?")
    return " AND ".join(parts)


def _binder(conditions: Sequence[Condition]) -> Callable[[Parameters], list[object]]:
    def bind(params: Parameters) -> list[object]:
        values: list[object] = []
        for c in conditions:
            if c.kind == "equal":
                values.append(params[c.param])
            else:
                values += [params["low"], params["high"]]
        return values

    return bind


def _keep(conditions: Sequence[Condition], params: Parameters) -> Callable[[Row], bool]:
    """The client's test of a row against conditions the server did not apply."""
    tests = [
        (c.column, params[c.param], None)
        if c.kind == "equal"
        else (c.column, params["low"], params["high"])
        for c in conditions
    ]

    def keep(row: Row) -> bool:
        for column, low, high in tests:
            value: Any = row.get(column)
            if high is None and value != low:
                return False
            if high is not None and (value is None or not low <= value < high):
                return False
        return True

    return keep


def _sort(rows: list[Row], key: Sequence[str], by: str | None, descending: bool) -> list[Row]:
    rows.sort(key=sort_key(key))
    if by is not None:
        rows.sort(key=sort_key([by]), reverse=descending)
    return rows


def _path_query(cql: CqlTables, path: ReadPath, columns: str, tail: str = "") -> Any:
    where = _where(path.server)
    tail = (tail + (" ALLOW FILTERING" if path.filtering else "")).strip()
    return cql.prepared(select_cql(cql.keyspace, path.table, columns, where, tail), read=True)


def get(cql: CqlTables, op: OperationSpec) -> Prepared:
    entity = op.entity
    base = cql.by_table[cql.tables[entity].base.name]
    children = [
        (c, cql.by_table[cql.tables[c].base.name])
        for c in (cql.schema.children_of(entity) if op.with_children else ())
    ]

    def run(params: Parameters) -> Row | None:
        key = key_tuple(params["key"])
        try:
            found = cql.session.execute_async(base.select, key)
            lines = [
                (c, s, cql.session.execute_async(s.select_partition, key[:1])) for c, s in children
            ]
            first = found.result().one()
            row = None if first is None else base.read(first)
            for child, state, future in lines:
                rows = [state.read(r) for r in future.result()]
                if row is not None:
                    row[child] = rows
        except Exception as exc:
            raise_translated(exc)
        return row

    return run


def find(cql: CqlTables, op: OperationSpec) -> Prepared:
    path = read_path(cql.tables, op)
    state = cql.by_table[path.table.name]
    key = cql.tables[op.entity].spec.key
    limit = op.limit
    tail = f"LIMIT {limit}" if limit and path.ordered else ""
    statement = _path_query(cql, path, columns_cql(path.table.columns), tail)
    bind = _binder(path.server)

    def run(params: Parameters) -> list[Row]:
        rows = [state.read(r) for r in cql.execute(statement, bind(params))]
        if not path.ordered:
            rows = _sort(rows, key, None, descending=False)[:limit]
        return rows

    return run


def range_(cql: CqlTables, op: OperationSpec) -> Prepared:
    assert op.window is not None
    path = read_path(cql.tables, op)
    state = cql.by_table[path.table.name]
    key, field, limit = cql.tables[op.entity].spec.key, op.window.field, op.limit
    descending = op.order == "desc"
    columns = columns_cql(path.table.columns)
    bind = _binder(path.server)
    if not path.ordered:
        statement = _path_query(cql, path, columns)

        def scan(params: Parameters) -> list[Row]:
            rows = [state.read(r) for r in cql.execute(statement, bind(params))]
            return _sort(rows, key, field, descending)[:limit]

        return scan
    order = f"ORDER BY {identifier(field, 'field')} {'DESC' if descending else 'ASC'}"
    reach = (limit + 1 if descending else limit) if limit else None
    slice_ = _path_query(cql, path, columns, f"{order} LIMIT {reach}" if reach else order)
    # Rows of one window value, in the partition: prepared only where ties can be cut.
    tie_where = _where([path.server[0], Condition(field, "equal")])
    ties = (
        cql.prepared(select_cql(cql.keyspace, path.table, columns, tie_where), read=True)
        if descending and limit
        else None
    )

    def run(params: Parameters) -> list[Row]:
        rows = [state.read(r) for r in cql.execute(slice_, bind(params))]
        if not descending:
            return rows
        if limit and len(rows) > limit and rows[limit][field] == rows[limit - 1][field]:
            value = rows[limit - 1][field]
            tied = [state.read(r) for r in cql.execute(ties, (params["partition"], value))]
            rows = [r for r in rows if r[field] != value] + tied
        return _sort(rows, key, field, descending=True)[:limit]

    return run


# -- aggregates ------------------------------------------------------------------------------


def _selectors(op: OperationSpec) -> str:
    if op.field is None or op.function == "count":
        return "count(*)"  # rows, with or without a field (as the contract's reference)
    name = identifier(op.field, "field")
    if op.function in ("sum", "avg"):
        return f"sum({name}), count({name})"
    return f"{op.function}({name})"


def _finish(
    op: OperationSpec, convert: Callable[[object], object]
) -> Callable[[Sequence[Any]], object]:
    """A native aggregate's result columns as the answer's value."""
    if op.function in ("sum", "avg"):
        average = op.function == "avg"

        def total(values: Sequence[Any]) -> object:
            amount, count = values
            if not count:
                return None
            return Decimal(amount) / count if average else amount

        return total
    if op.function == "count":
        return lambda values: values[0]
    return lambda values: convert(values[0])


def aggregate(cql: CqlTables, op: OperationSpec) -> Prepared:
    path = read_path(cql.tables, op)
    spec = cql.tables[op.entity].spec
    bind = _binder(path.server)
    value_of = readers(spec, [op.field])[0] if op.field else (lambda v: v)
    if path.group == "server":
        assert op.group_by is not None
        group = op.group_by.field
        group_of = readers(spec, [group])[0]
        by = [path.table.partition] + ([group] if group != path.table.partition else [])
        tail = f"GROUP BY {columns_cql(by)}"
        statement = _path_query(cql, path, f"{identifier(group, 'field')}, {_selectors(op)}", tail)
        finish = _finish(op, value_of)

        def grouped(params: Parameters) -> list[dict[str, object]]:
            rows = cql.execute(statement, bind(params))
            return ranked_groups(op, ((group_of(r[0]), finish(r[1:])) for r in rows))

        return grouped
    if path.workaround != "client_aggregate":
        statement = _path_query(cql, path, _selectors(op))
        finish = _finish(op, value_of)
        return lambda params: finish(cql.execute(statement, bind(params)).one())
    return _client_aggregate(cql, op, path)


def _client_aggregate(cql: CqlTables, op: OperationSpec, path: ReadPath) -> Prepared:
    spec = cql.tables[op.entity].spec
    group = op.group_by
    wanted = [c.column for c in path.client]
    wanted += [n for n in (op.field, group.field if group else None) if n]
    columns = list(dict.fromkeys(wanted)) or [spec.key[0]]
    read = [*zip(columns, readers(spec, columns), strict=True)]
    statement = _path_query(cql, path, columns_cql(columns))
    bind = _binder(path.server)

    def run(params: Parameters) -> object:
        keep = _keep(path.client, params)
        rows = (
            {n: f(v) for (n, f), v in zip(read, r, strict=True)}
            for r in cql.execute(statement, bind(params))
        )
        return aggregate_rows(op, (r for r in rows if keep(r)))

    return run


READS = {
    OperationKind.GET: get,
    OperationKind.FIND: find,
    OperationKind.RANGE: range_,
    OperationKind.AGGREGATE: aggregate,
}
