"""A schema workload as normalised SQL tables: one table per entity, typed columns.

Column types, per field type:

- integer: BIGINT.
- timestamp: BIGINT epoch milliseconds, not a TIMESTAMP column. Parameters and answers are
  epoch ms already, so a timestamp crosses the driver as an integer with no conversion on
  either side, and a time bucket is integer arithmetic that means the same on all four
  engines. A native type would differ where it matters here: SQLite has none, MariaDB's
  TIMESTAMP follows the session time zone and ends in 2038 (DATETIME(3) does not, but
  truncating it to an hour is DATE_FORMAT on MariaDB, date_trunc on PostgreSQL and
  DuckDB, strftime on SQLite), and each driver maps it to a naive or aware datetime of
  its own. The price: a reader of the tables sees numbers, not dates.
- decimal: NUMERIC(18, scale), exact on PostgreSQL, DuckDB and MariaDB. SQLite has no
  exact decimal: its NUMERIC affinity stores a double (answers are compared at the
  field's scale, which a double of 18 significant digits or fewer meets).
- text: VARCHAR of the longest value the field generates (MariaDB indexes only bounded
  strings).
- boolean: BOOLEAN (SQLite and MariaDB store 0/1).
- json: JSONB on PostgreSQL, JSON elsewhere (text underneath on SQLite and MariaDB).

A child entity gets its own table whose primary key is (parent field, sequence).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

from bakeoff.core.schema import EntitySpec, FieldSpec, FieldType, Row, Schema

NUMERIC_PRECISION: Final = 18
"""Digits of a decimal column: sums of a column (an order total) fit with room to spare."""

Convert = Callable[[Any], Any]


def column_type(spec: FieldSpec) -> Any:
    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql

    match spec.type:
        case FieldType.INTEGER | FieldType.TIMESTAMP:
            return sa.BigInteger()
        case FieldType.DECIMAL:
            return sa.Numeric(NUMERIC_PRECISION, spec.scale)
        case FieldType.TEXT:
            return sa.String(max([spec.length, *(len(c) for c in spec.choices)]))
        case FieldType.BOOLEAN:
            return sa.Boolean()
        case FieldType.JSON:
            return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    raise AssertionError(spec.type)  # pragma: no cover - the enum is exhausted above


def index_columns(entity: EntitySpec) -> list[tuple[str, ...]]:
    """The secondary indexes of an entity: one per `indexes` field, and one on (partition,
    ordering) for ranges (on ordering alone when there is no partition)."""
    found: list[tuple[str, ...]] = [(name,) for name in entity.indexes]
    if entity.ordering:
        ordered = (entity.partition, entity.ordering) if entity.partition else (entity.ordering,)
        if ordered not in found and ordered != tuple(entity.key):
            found.append(ordered)
    return found


def build_tables(schema: Schema) -> tuple[Any, dict[str, Any]]:
    """SQLAlchemy MetaData holding one table per entity, and the tables by entity name."""
    import sqlalchemy as sa
    from sqlalchemy.sql.elements import quoted_name

    metadata = sa.MetaData()
    tables: dict[str, Any] = {}
    for name, entity in schema.entities.items():
        # Keys come from the workload: no BIGSERIAL, AUTO_INCREMENT or sequence. Names are
        # always quoted: a field may be a word one engine reserves (DuckDB's `at`) that
        # another's SQLAlchemy dialect does not know; lower case, quoting changes nothing.
        columns = [
            sa.Column(quoted_name(f, quote=True), column_type(spec), autoincrement=False)
            for f, spec in entity.fields.items()
        ]
        table = sa.Table(
            quoted_name(name, quote=True),
            metadata,
            *columns,
            sa.PrimaryKeyConstraint(*entity.key, name=f"pk_{name}"),
        )
        for fields in index_columns(entity):
            sa.Index(f"ix_{name}_{'_'.join(fields)}", *(table.c[f] for f in fields))
        tables[name] = table
    return metadata, tables


def ddl(metadata: Any, dialect: Any) -> list[str]:
    """CREATE TABLE and CREATE INDEX statements of `metadata`, as `dialect` writes them."""
    from sqlalchemy.schema import CreateIndex, CreateTable

    statements: list[str] = []
    for table in metadata.sorted_tables:
        statements.append(str(CreateTable(table).compile(dialect=dialect)).strip())
        statements += [
            str(CreateIndex(index).compile(dialect=dialect)).strip()
            for index in sorted(table.indexes, key=lambda i: str(i.name))
        ]
    return statements


def _json_text(value: Any) -> Any:
    return value if value is None or isinstance(value, str) else json.dumps(value)


def _decimal_float(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def _json_value(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def _boolean(value: Any) -> Any:
    return value if value is None else bool(value)


def binder(spec: FieldSpec, dialect_name: str) -> Convert | None:
    """How a value of `spec` goes to the driver (None: as it is)."""
    if spec.type is FieldType.JSON:
        return _json_text
    if spec.type is FieldType.DECIMAL and dialect_name == "sqlite":
        return _decimal_float  # the sqlite3 module binds no Decimal
    return None


def reader(spec: FieldSpec) -> Convert | None:
    """How a value of `spec` comes back from the driver as an answer (None: as it is)."""
    if spec.type is FieldType.JSON:
        return _json_value  # a string where the driver does not decode JSON
    if spec.type is FieldType.BOOLEAN:
        return _boolean  # 0/1 on SQLite and MariaDB
    return None


def typed(spec: FieldSpec, text: str) -> Any:
    """A compare-and-set's `expect`/`to` (text in the workload) as a value of the field."""
    match spec.type:
        case FieldType.INTEGER | FieldType.TIMESTAMP:
            return int(text)
        case FieldType.DECIMAL:
            return Decimal(text)
        case FieldType.BOOLEAN:
            return text.strip().lower() in {"1", "true", "yes"}
        case FieldType.JSON:
            return json.loads(text)
    return text


class RowCodec:
    """How rows of one entity cross the driver in both directions."""

    def __init__(self, schema: Schema, entity: str, dialect_name: str) -> None:
        spec = schema.entities[entity]
        self.fields = tuple(spec.fields)
        self.binders = {
            f: c for f, s in spec.fields.items() if (c := binder(s, dialect_name)) is not None
        }
        self.readers = tuple(reader(s) for s in spec.fields.values())

    def bind(self, row: Mapping[str, Any]) -> dict[str, Any]:
        values = {f: row.get(f) for f in self.fields}
        for f, convert in self.binders.items():
            values[f] = convert(values[f])
        return values

    def bind_value(self, field: str, value: Any) -> Any:
        convert = self.binders.get(field)
        return value if convert is None else convert(value)

    def row(self, values: Sequence[Any]) -> Row:
        return {
            f: (v if r is None else r(v))
            for f, v, r in zip(self.fields, values, self.readers, strict=True)
        }


def upsert_statement(table: Any, key: Sequence[str], dialect: str) -> Any:
    """Insert, or replace the row with the same key, as `dialect` says it."""
    others = [c for c in table.c if c.name not in key]
    if dialect in {"mysql", "mariadb"}:
        from sqlalchemy.dialects import mysql

        mysql_stmt = mysql.insert(table)
        return mysql_stmt.on_duplicate_key_update(
            {c.name: mysql_stmt.inserted[c.name] for c in others}
        )
    from sqlalchemy.dialects import postgresql, sqlite

    # PostgreSQL's also for DuckDB, whose SQLAlchemy dialect is PostgreSQL's.
    stmt: Any = (sqlite if dialect == "sqlite" else postgresql).insert(table)
    return stmt.on_conflict_do_update(
        index_elements=list(key), set_={c.name: stmt.excluded[c.name] for c in others}
    )
