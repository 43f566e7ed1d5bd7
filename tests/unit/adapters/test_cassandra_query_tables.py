"""The query tables of the Cassandra data model and their CQL, without a node."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bakeoff.adapters.cassandra_query_tables import (
    MAX_NAME,
    create_cql,
    entity_tables,
    epoch_ms,
    parse_literal,
    table_name,
)
from bakeoff.core.schema import Schema
from bakeoff.workloads.loader import load_workload

ROOT = Path(__file__).parents[3]


def _schema(name: str) -> Schema:
    return load_workload(ROOT / f"workloads/{name}.yaml").data_schema()


def test_one_table_per_access_pattern() -> None:
    tables = entity_tables(_schema("orders"))
    keys = {t.name: t.primary_key for e in tables.values() for t in e.all}
    assert keys == {
        "customers": ("customer_id",),
        "customers_by_country": ("country", "customer_id"),
        "products": ("product_id",),
        "products_by_category": ("category", "product_id"),
        "orders": ("order_id",),
        "orders_by_customer_id_placed_at": ("customer_id", "placed_at", "order_id"),
        "orders_by_status": ("status", "order_id"),
        "order_lines": ("order_id", "line_no"),
    }
    assert tables["order_lines"].copies == ()


def test_a_table_serving_twice_is_created_once() -> None:
    schema = Schema.model_validate(
        {
            "entities": {
                "parents": {"key": ["id"], "fields": {"id": "integer"}, "indexes": ["id"]},
                "kids": {
                    "key": ["parent", "n"],
                    "parent": {"entity": "parents", "field": "parent"},
                    "fields": {"parent": "integer", "n": "integer"},
                    "partition": "parent",
                    "ordering": "n",
                },
            }
        }
    )
    tables = entity_tables(schema)
    assert [t.name for t in tables["parents"].all] == ["parents"]
    assert [t.name for t in tables["kids"].all] == ["kids"]


def test_long_names_are_shortened_and_distinct() -> None:
    entity = "e" * 40
    first, second = table_name(entity, "a" * 20), table_name(entity, "b" * 20)
    assert len(first) <= MAX_NAME and len(second) <= MAX_NAME and first != second


def test_create_statement() -> None:
    tables = entity_tables(_schema("timeseries"))["readings"]
    assert create_cql("ks", tables.copies[0], tables.spec) == (
        'CREATE TABLE IF NOT EXISTS "ks"."readings_by_device_id_at" ("reading_id" bigint, '
        '"device_id" bigint, "at" timestamp, "cpu" decimal, "memory" bigint, '
        '"disk_free" decimal, PRIMARY KEY (("device_id"), "at", "reading_id"))'
    )


def test_values_in_and_out() -> None:
    assert epoch_ms(datetime(2026, 1, 1, 0, 0, 0, 123000)) == 1_767_225_600_123
    spec = _schema("orders").entities["products"]
    assert parse_literal(spec, "stock", "7") == 7
    assert parse_literal(spec, "price", "1.50") == Decimal("1.50")
    assert parse_literal(spec, "name", "x") == "x"


def test_clashing_table_names_are_refused() -> None:
    schema = Schema.model_validate(
        {
            "entities": {
                "a": {"key": ["id"], "fields": {"id": "integer", "b": "integer"}, "indexes": ["b"]},
                "a_by_b": {"key": ["id"], "fields": {"id": "integer"}},
            }
        }
    )
    with pytest.raises(ValueError, match="a_by_b"):
        entity_tables(schema)
