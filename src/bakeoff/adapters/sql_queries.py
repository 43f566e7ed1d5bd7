"""What the SQL data models share above the connection: what they refuse in `plan`, and
their read statements over any layout of an entity's fields.

A layout is a FROM clause and a `Field` function giving the SQL expression of each field:
a column in normalised tables, a typed JSONB member in the document model. The same
functions build both models' finds, ranges and aggregates, so they order, window and
group the same way; only the expressions differ.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bakeoff.adapters.data_model import Prepared, UnsupportedOperationError
from bakeoff.adapters.model_plans import refuse_child_by_key
from bakeoff.adapters.sql_session_base import SqlConnection
from bakeoff.adapters.sql_statements import CompiledStatement
from bakeoff.core.schema import FieldType, OperationKind, OperationSpec, Parameters, Schema

Field = Callable[[str], Any]
"""A field's SQL expression in one layout."""


def window_where(field: Field, operation: OperationSpec) -> list[Any]:
    """The partition's equality and the window `low <= x < high`, as bound parameters."""
    import sqlalchemy as sa

    where = []
    if operation.partition:
        where.append(field(operation.partition) == sa.bindparam("_partition"))
    if operation.window:
        ordered = field(operation.window.field)
        where += [ordered >= sa.bindparam("_low"), ordered < sa.bindparam("_high")]
    return where


def window_values(
    operation: OperationSpec, params: Mapping[str, Any], bind: Callable[[str, Any], Any]
) -> dict[str, Any]:
    """The parameters of `window_where` (`bind(field, value)` as the driver takes it)."""
    values: dict[str, Any] = {}
    if operation.partition:
        values["_partition"] = bind(operation.partition, params["partition"])
    if operation.window:
        values["_low"], values["_high"] = params["low"], params["high"]
    return values


def select_rows(
    columns: list[Any],
    source: Any,
    field: Field,
    key: tuple[str, ...],
    operation: OperationSpec,
    where: list[Any],
) -> Any:
    """`columns` of the rows under `where`, in the operation's order (find: by key; range:
    by the window field, ties by key ascending), cut to its limit."""
    import sqlalchemy as sa

    keys = [field(k) for k in key]
    order = keys
    if operation.window is not None:
        ordered = field(operation.window.field)
        order = [ordered.desc() if operation.order == "desc" else ordered.asc(), *keys]
    stmt = sa.select(*columns).select_from(source).where(*where).order_by(*order)
    return stmt.limit(operation.limit) if operation.limit else stmt


def aggregate_statement(source: Any, field: Field, operation: OperationSpec) -> Any:
    """The aggregate: one row (its value), or (group, value) rows in the contract's order
    (by group; with `limit`, by value in `order`, ties by group)."""
    import sqlalchemy as sa

    function = operation.function or "count"
    value = (
        sa.func.count()
        if function == "count"
        else getattr(sa.func, function)(field(operation.field or ""))
    ).label("val")
    where = window_where(field, operation)
    if operation.group_by is None:
        return sa.select(value).select_from(source).where(*where)
    grouped = field(operation.group_by.field)
    if operation.group_by.bucket:
        # The bucket's start, `x - x % bucket` (= x // bucket * bucket for non-negative
        # epoch ms): `/` divides integers on PostgreSQL and SQLite but not on DuckDB or
        # MariaDB, while `%` is the remainder on all four. The bucket is the workload's
        # own integer, written as a literal so that GROUP BY and the select list are one
        # expression for PostgreSQL (two bound parameters would be two expressions).
        bucket: Any = sa.literal_column(str(int(operation.group_by.bucket)))
        grouped = grouped - grouped % bucket
    group = grouped.label("grp")
    stmt = sa.select(group, value).select_from(source).where(*where).group_by(grouped)
    if operation.limit:
        by_value = value.desc() if operation.order == "desc" else value.asc()
        return stmt.order_by(by_value, group).limit(operation.limit)
    return stmt.order_by(group)


def refuse_common(schema: Schema, operation: OperationSpec) -> None:
    """What no SQL model here does: key operations on a child entity, expiring rows, and
    comparing JSON values."""
    refuse_child_by_key(schema, operation)
    entity = schema.entities[operation.entity]
    if operation.ttl_s is not None:
        raise UnsupportedOperationError(
            "rows expiring after ttl_s: the SQL engines have no native TTL, and an expiry"
            " column would need a purge job whose cost the benchmark would not measure"
        )
    compared = operation.field if operation.kind in _BY_VALUE else None
    if compared and entity.fields[compared].type is FieldType.JSON:
        raise UnsupportedOperationError(
            f"{operation.kind} by the json field {compared!r}: JSON is stored as text on"
            " SQLite and MariaDB, where equal objects need not be equal strings"
        )


_BY_VALUE = frozenset({OperationKind.FIND, OperationKind.COMPARE_AND_SET})


def answer_aggregate(
    db: SqlConnection, stmt: CompiledStatement, operation: OperationSpec, bind: Any
) -> Prepared:
    """The callable answering an aggregate statement (`aggregate_statement`)."""
    if operation.group_by is None:
        return lambda params: db.query(stmt, window_values(operation, params, bind))[0][0]

    def grouped(params: Parameters) -> list[dict[str, Any]]:
        found = db.query(stmt, window_values(operation, params, bind))
        return [{"group": g, "value": v} for g, v in found]

    return grouped
