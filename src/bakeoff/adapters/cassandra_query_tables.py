"""The query tables of the Cassandra data model: one table per access pattern the schema
declares, and their CQL text. Pure: no driver needed.

Every entity has
    its table by key (``<entity>``): PRIMARY KEY ((key[0]), key[1:]), so a root entity is
    one partition per row and a child entity's rows (an order's lines) are one partition
    per parent, clustered by their sequence;
    one table per indexed field (``<entity>_by_<field>``): PRIMARY KEY ((field), key...),
    the rows of one value in key order, for `find`;
    one table per partition (``<entity>_by_<partition>_<ordering>``): PRIMARY KEY ((partition),
    ordering, key...), a partition's rows in order, for `range` and aggregates over one
    partition.
Each table holds every field of the entity (denormalised): a read touches one table. A
table whose primary key would equal another's is not created twice.

Partition sizes: a table by an indexed field holds one partition per distinct value, so
a low-cardinality index (an order's status: 4 values) makes a few large partitions that
grow with the data; a partition table grows with its partition's rows (a device's
readings, unbucketed). Fine at benchmark sizes; a production model would add a bucket to
those partition keys.

Types: integer → bigint, decimal → decimal, text → text, timestamp → timestamp (epoch
ms in and out), boolean → boolean, json → text holding the JSON (no UDT: the members are
not declared).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from bakeoff.adapters.cassandra_cql import identifier
from bakeoff.core.schema import EntitySpec, FieldType, Row, Schema

CQL_TYPES: Final = {
    FieldType.INTEGER: "bigint",
    FieldType.DECIMAL: "decimal",
    FieldType.TEXT: "text",
    FieldType.TIMESTAMP: "timestamp",
    FieldType.BOOLEAN: "boolean",
    FieldType.JSON: "text",
}
MAX_NAME: Final = 48
"""Cassandra's limit on a table's name."""
_EPOCH: Final = datetime(1970, 1, 1)  # the driver gives naive UTC datetimes
_ONE_MS: Final = timedelta(milliseconds=1)


def table_name(entity: str, *fields: str) -> str:
    """``<entity>`` or ``<entity>_by_<field>[_<field>]``, shortened with a hash past 48
    characters."""
    name = f"{entity}_by_{'_'.join(fields)}" if fields else entity
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.blake2b(name.encode(), digest_size=4).hexdigest()
    return f"{name[: MAX_NAME - 9]}_{digest}"


@dataclass(frozen=True)
class QueryTable:
    """One table: its name, primary key and (all the entity's) columns."""

    name: str
    entity: str
    partition: str
    clustering: tuple[str, ...]
    columns: tuple[str, ...]
    purpose: str

    @property
    def primary_key(self) -> tuple[str, ...]:
        return (self.partition, *self.clustering)

    def key_of(self, row: Mapping[str, object]) -> tuple[object, ...]:
        return tuple(row.get(c) for c in self.primary_key)


def _table(
    entity: str,
    spec: EntitySpec,
    name: str,
    partition: str,
    order: Sequence[str],
    why: str,
) -> QueryTable:
    clustering: list[str] = []
    for column in order:
        if column != partition and column not in clustering:
            clustering.append(column)
    return QueryTable(
        name=name,
        entity=entity,
        partition=partition,
        clustering=tuple(clustering),
        columns=tuple(spec.fields),
        purpose=why,
    )


@dataclass(frozen=True)
class EntityTables:
    """An entity's tables: the one by key first, then its copies."""

    entity: str
    spec: EntitySpec
    base: QueryTable
    copies: tuple[QueryTable, ...]

    @property
    def all(self) -> tuple[QueryTable, ...]:
        return (self.base, *self.copies)

    def partitioned_by(self, field: str) -> list[QueryTable]:
        return [t for t in self.all if t.partition == field]


def entity_tables(schema: Schema) -> dict[str, EntityTables]:
    """Every entity's tables, in the schema's order; raises ValueError on a name clash."""
    found: dict[str, EntityTables] = {}
    for entity, spec in schema.entities.items():
        base = _table(entity, spec, table_name(entity), spec.key[0], spec.key, "by key")
        tables = [base]
        if spec.partition:
            order = [spec.ordering] if spec.ordering else []
            purpose = f"by {spec.partition}" + (f", ordered by {spec.ordering}" if order else "")
            name = table_name(entity, spec.partition, *order)
            tables.append(_table(entity, spec, name, spec.partition, [*order, *spec.key], purpose))
        for field in spec.indexes:
            name = table_name(entity, field)
            tables.append(_table(entity, spec, name, field, spec.key, f"by {field}"))
        unique: list[QueryTable] = []
        for table in tables:
            if all(table.primary_key != t.primary_key for t in unique):
                unique.append(table)
        found[entity] = EntityTables(entity, spec, unique[0], tuple(unique[1:]))
    names = [t.name for e in found.values() for t in e.all]
    clash = sorted({n for n in names if names.count(n) > 1})
    if clash:
        raise ValueError(f"two query tables would be named {clash[0]!r}: rename an entity")
    return found


# -- CQL text ----------------------------------------------------------------------------


def qualified(keyspace: str | None, table: str) -> str:
    name = identifier(table, "table")
    return f"{identifier(keyspace, 'keyspace')}.{name}" if keyspace else name


def columns_cql(columns: Sequence[str]) -> str:
    return ", ".join(identifier(c, "field") for c in columns)


def create_cql(keyspace: str | None, table: QueryTable, spec: EntitySpec) -> str:
    columns = ", ".join(
        f"{identifier(c, 'field')} {CQL_TYPES[spec.fields[c].type]}" for c in table.columns
    )
    key = identifier(table.partition, "field")
    if table.clustering:
        key = f"({key}), {columns_cql(table.clustering)}"
    return (
        f"CREATE TABLE IF NOT EXISTS {qualified(keyspace, table.name)} "
        f"({columns}, PRIMARY KEY ({key}))"
    )


def where_equal(columns: Sequence[str]) -> str:
    return " AND ".join(f"{identifier(c, 'field')} = ?" for c in columns)


def insert_cql(keyspace: str, table: QueryTable, using: str = "") -> str:
    """`using`: "" or "TTL" or "TIMESTAMP" (one more bind marker, last)."""
    marks = ", ".join("?" * len(table.columns))
    suffix = f" USING {using} ?" if using else ""
    return (
        f"INSERT INTO {qualified(keyspace, table.name)} ({columns_cql(table.columns)}) "
        f"VALUES ({marks}){suffix}"
    )


def delete_cql(keyspace: str, table: QueryTable, columns: Sequence[str], using: str = "") -> str:
    """Delete by `columns` (the whole primary key: a row; the partition: a partition)."""
    timestamp = " USING TIMESTAMP ?" if using else ""
    return f"DELETE FROM {qualified(keyspace, table.name)}{timestamp} WHERE {where_equal(columns)}"


def select_cql(
    keyspace: str, table: QueryTable, selectors: str, where: str = "", tail: str = ""
) -> str:
    text = f"SELECT {selectors} FROM {qualified(keyspace, table.name)}"
    if where:
        text += f" WHERE {where}"
    return text + (f" {tail}" if tail else "")


# -- values in and out ---------------------------------------------------------------------


def epoch_ms(value: object) -> object:
    """A driver timestamp (naive UTC datetime; an int when out of datetime's range) as ms."""
    if isinstance(value, datetime):
        return round((value - _EPOCH) / _ONE_MS)
    return value


def _json_out(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value


def _json_in(value: object) -> object:
    return json.dumps(value, sort_keys=True) if isinstance(value, dict) else value


def _same(value: object) -> object:
    return value


def readers(spec: EntitySpec, columns: Sequence[str]) -> list[Callable[[object], object]]:
    """Per column, how a driver value becomes an answer value."""
    by_type: dict[FieldType, Callable[[object], object]] = {
        FieldType.TIMESTAMP: epoch_ms,
        FieldType.JSON: _json_out,
    }
    return [by_type.get(spec.fields[c].type, _same) for c in columns]


def writers(spec: EntitySpec, columns: Sequence[str]) -> list[Callable[[object], object]]:
    """Per column, how a row's value is bound (timestamps bind as epoch ms as they are)."""
    return [_json_in if spec.fields[c].type is FieldType.JSON else _same for c in columns]


def row_reader(spec: EntitySpec, columns: Sequence[str]) -> Callable[[Sequence[Any]], Row]:
    """A driver row (values in `columns` order) as an answer row."""
    convert = readers(spec, columns)
    names = tuple(columns)

    def read(values: Sequence[Any]) -> Row:
        return {n: f(v) for n, f, v in zip(names, convert, values, strict=False)}

    return read


def sort_key(fields: Sequence[str]) -> Callable[[Row], Any]:
    """The values of `fields` of a row, to sort rows by."""

    def key(row: Mapping[str, Any]) -> Any:
        return tuple(row[f] for f in fields)

    return key


def parse_literal(spec: EntitySpec, field: str, text: str) -> object:
    """A compare_and_set's `expect` or `to` (text in the workload) as the field's value."""
    kind = spec.fields[field].type
    if kind in (FieldType.INTEGER, FieldType.TIMESTAMP):
        return int(text)
    if kind is FieldType.DECIMAL:
        from decimal import Decimal

        return Decimal(text)
    if kind is FieldType.BOOLEAN:
        return text.strip().lower() in ("true", "1", "yes")
    return text
