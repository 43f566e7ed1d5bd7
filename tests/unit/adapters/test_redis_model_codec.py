"""The Redis `hashes` model's encoding and key layout, without a server."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bakeoff.adapters.redis_model_codec import (
    EntityLayout,
    decode,
    encode,
    layouts,
    parse_literal,
)
from bakeoff.core.schema import FieldSpec, FieldType, Schema
from bakeoff.workloads.loader import load_workload

ORDERS = load_workload(Path(__file__).parents[3] / "workloads" / "orders.yaml").data_schema()


@pytest.mark.parametrize(
    ("spec", "value", "text"),
    [
        (FieldSpec(type=FieldType.INTEGER), 42, "42"),
        (FieldSpec(type=FieldType.TIMESTAMP), 1_767_225_600_000, "1767225600000"),
        (FieldSpec(type=FieldType.DECIMAL, scale=2), Decimal("12.5"), "12.50"),
        (FieldSpec(type=FieldType.DECIMAL, scale=1), 0.25, "0.2"),  # half-even, as Decimal
        (FieldSpec(type=FieldType.BOOLEAN), True, "1"),
        (FieldSpec(type=FieldType.JSON), {"tag": "ab", "score": 3}, '{"score":3,"tag":"ab"}'),
        (FieldSpec(type=FieldType.TEXT), "a:b", "a:b"),
    ],
)
def test_encode_and_decode(spec: FieldSpec, value: Any, text: str) -> None:
    assert encode(spec, value) == text
    assert decode(spec, text) == (Decimal(text) if spec.type is FieldType.DECIMAL else value)


def test_decode_missing_is_none_and_literals_are_typed() -> None:
    assert decode(FieldSpec(type=FieldType.INTEGER), None) is None
    assert parse_literal(FieldSpec(type=FieldType.BOOLEAN), "true") is True
    assert parse_literal(FieldSpec(type=FieldType.INTEGER), "7") == 7
    assert parse_literal(FieldSpec(type=FieldType.TEXT), "new") == "new"


def test_layout_of_a_root_and_a_child() -> None:
    orders, lines = layouts(ORDERS)["orders"], layouts(ORDERS)["order_lines"]
    assert orders.structure() == [
        "orders:", "placed_at", "customer_id", "1", "status", "1", "customer_id", "0",
    ]  # fmt: skip
    assert lines.structure() == ["order_lines:", "", "", "0", "1", "product_id", "1", "quantity"]
    row = {"order_id": 3, "line_no": 2, "product_id": 9, "quantity": 1, "price": None}
    assert lines.row_id(row) == "3:2"
    assert lines.key_score(row) == 3 * 1024 + 2
    assert lines.encode_pairs(row) == [
        "4", "order_id", "3", "line_no", "2", "product_id", "9", "quantity", "1",
    ]  # fmt: skip
    assert lines.decode_pairs(["order_id", "3", "line_no", "2"]) == {
        "order_id": 3, "line_no": 2, "product_id": None, "quantity": None, "price": None,
    }  # fmt: skip
    assert orders.structural(["status"]) and not orders.structural(["total"])
    assert lines.structural(["quantity"]) and not lines.structural(["price"])


def test_text_ordering_is_not_a_score() -> None:
    schema = Schema.model_validate(
        {
            "entities": {
                "notes": {
                    "key": ["note_id"],
                    "fields": {"note_id": "integer", "title": "text"},
                    "ordering": "title",
                }
            }
        }
    )
    layout = EntityLayout.of(schema, "notes")
    assert layout.ordering is None
    assert layout.structure()[1] == ""


def test_describe_names_every_key() -> None:
    lines = [line for lay in layouts(ORDERS).values() for line in lay.describe(ORDERS)]
    assert "orders:__part:<customer_id>" in "\n".join(lines)
    assert any(line.startswith("order_lines:<order_id>:__seq") for line in lines)
