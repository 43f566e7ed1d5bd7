"""The tables of the JSONB document model (`sql_jsonb`): a key column and one JSONB
document per root entity, and the typed expressions of the documents' members."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from bakeoff.adapters.sql_tables import index_columns
from bakeoff.core.schema import FieldType, Schema

DOC = "doc"


def _table_name(entity: str) -> str:
    # Its own names, so that both SQL models of one schema can share a database.
    return f"{entity}_doc"


def json_text(value: object) -> str:
    # A Decimal as a JSON number: Python's float repr is the shortest exact spelling of
    # any decimal of up to 15 significant digits, and JSONB reads it back as a numeric.
    return json.dumps(value, default=lambda v: float(v) if isinstance(v, Decimal) else str(v))


def member(document: Any, name: str, kind: FieldType) -> Any:
    """The SQL expression of a field of `document`, typed. The field name is a schema
    identifier (lower-case letters, digits, _), written as a literal so that the query's
    expression is the expression index's."""
    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql

    path: Any = sa.literal_column(f"'{name}'")
    if kind is FieldType.JSON:
        return document.op("->", return_type=postgresql.JSONB)(path)
    text = document.op("->>", return_type=sa.Text)(path)
    types: dict[FieldType, Any] = {
        FieldType.INTEGER: sa.BigInteger,
        FieldType.TIMESTAMP: sa.BigInteger,
        FieldType.DECIMAL: sa.Numeric,
        FieldType.BOOLEAN: sa.Boolean,
        FieldType.TEXT: sa.Text,
    }
    # Text too is cast: CAST(...) is function syntax, which an index definition takes
    # without the extra parentheses a bare operator expression would need.
    return sa.cast(text, types[kind])


def build_documents(schema: Schema) -> tuple[Any, dict[str, Any]]:
    """MetaData with one document table per root entity, and the tables by entity."""
    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql

    metadata = sa.MetaData()
    tables: dict[str, Any] = {}
    for name in schema.roots():
        entity = schema.entities[name]
        key = entity.key[0]
        table = sa.Table(
            _table_name(name),
            metadata,
            sa.Column(key, sa.BigInteger, primary_key=True, autoincrement=False),
            sa.Column(DOC, postgresql.JSONB, nullable=False),
        )
        for fields in index_columns(entity):
            expressions = [
                table.c[key] if f == key else member(table.c[DOC], f, entity.fields[f].type)
                for f in fields
            ]
            sa.Index(f"ix_{name}_doc_{'_'.join(fields)}", *expressions)
        tables[name] = table
    return metadata, tables
