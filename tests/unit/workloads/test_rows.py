"""Rows of a schema workload are a pure function of (seed, entity, key)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from bakeoff.core.schema import Schema
from bakeoff.workloads.loader import load_workload
from bakeoff.workloads.rows import draw_values, rows_for_keys, time_bounds

REPO = Path(__file__).resolve().parents[3]


def orders() -> Schema:
    return load_workload(REPO / "workloads" / "orders.yaml").data_schema()


def test_a_row_is_the_same_in_any_batch() -> None:
    schema = orders()
    whole = rows_for_keys(schema, "orders", range(100), seed=3)
    pieces = rows_for_keys(schema, "orders", range(40, 60), seed=3)
    assert whole[40:60] == pieces
    assert rows_for_keys(schema, "orders", [7], seed=4) != [whole[7]]


def test_values_follow_their_field_specs() -> None:
    schema = orders()
    rows: list[Any] = rows_for_keys(schema, "orders", range(300), seed=1)
    low, high = time_bounds(schema.entities["orders"].fields["placed_at"])
    customers = schema.entities["customers"].rows
    for row in rows:
        assert low <= row["placed_at"] <= high
        assert 0 <= row["customer_id"] < customers
        assert row["status"] in ("delivered", "new", "paid", "shipped")
        lines = row["order_lines"]
        assert 1 <= len(lines) <= 5
        assert [line["line_no"] for line in lines] == list(range(1, len(lines) + 1))
        assert all(line["order_id"] == row["order_id"] for line in lines)
        assert all(1 <= line["quantity"] <= 5 for line in lines)


def test_a_sum_of_children_field_is_that_sum() -> None:
    rows: list[Any] = rows_for_keys(orders(), "orders", range(200), seed=9)
    for row in rows:
        expected = sum(Decimal(x["quantity"]) * x["price"] for x in row["order_lines"])
        assert row["total"] == expected.quantize(Decimal("0.01"))


def test_drawn_values_come_from_the_data_distribution() -> None:
    schema = orders()
    spec = schema.entities["products"].fields["category"]
    drawn = draw_values(schema, spec, np.random.default_rng(1), 500)
    assert set(drawn) == set(spec.choices)
