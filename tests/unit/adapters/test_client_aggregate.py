"""Aggregates computed by the client: the reducers, the group order, grouping rows."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bakeoff.adapters.client_aggregate import aggregate_rows, ranked_groups, reduce_values
from bakeoff.core.schema import OperationSpec


def _op(**settings: Any) -> OperationSpec:
    return OperationSpec(kind="aggregate", entity="orders", share=1, **settings)


def test_count_counts_rows_and_the_others_skip_none() -> None:
    values = [3, None, 1, 2]
    assert reduce_values("count", values) == 4
    assert reduce_values("sum", values) == 6
    assert reduce_values("avg", values) == Decimal(2)
    assert reduce_values("min", values) == 1
    assert reduce_values("max", values) == 3
    assert reduce_values("count", []) == 0
    assert [reduce_values(f, [None]) for f in ("sum", "avg", "min", "max")] == [None] * 4


def test_sums_keep_decimals_and_averages_doubles_by_their_repr() -> None:
    assert reduce_values("sum", [Decimal("1.10"), Decimal("2.05")]) == Decimal("3.15")
    assert reduce_values("avg", [0.1, 0.2]) == Decimal("0.15")


def test_groups_ordered_by_group_or_by_value_with_ties_by_group() -> None:
    groups = [("b", 2), ("a", 2), (None, 1), ("c", None)]

    def order(**settings: Any) -> list[object]:
        return [g["group"] for g in ranked_groups(_op(function="count", **settings), groups)]

    assert order() == [None, "a", "b", "c"]
    assert order(order="desc", limit=3) == ["a", "b", None]
    assert order(limit=2) == [None, "a"]


def test_count_with_a_field_counts_rows_whose_field_is_none() -> None:
    rows: list[dict[str, object]] = [{"status": "x", "total": None}, {"status": "x", "total": 5}]
    assert aggregate_rows(_op(function="count", field="total"), rows) == 2
    grouped = _op(function="count", field="total", group_by={"field": "status"})
    assert aggregate_rows(grouped, rows) == [{"group": "x", "value": 2}]


def test_rows_grouped_by_bucket() -> None:
    rows = [{"at": at, "cpu": cpu} for at, cpu in [(5, 1), (12, 3), (19, 5), (31, None)]]
    op = _op(function="max", field="cpu", group_by={"field": "at", "bucket": 10})
    assert aggregate_rows(op, rows) == [
        {"group": 0, "value": 1},
        {"group": 10, "value": 5},
        {"group": 30, "value": None},
    ]
