"""Canonical answers: the rules that make engines' answers comparable exactly."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from bakeoff.core.schema import OperationKind, OperationSpec
from bakeoff.workloads.answers import canonical_answer, checksum
from bakeoff.workloads.loader import load_workload

REPO = Path(__file__).resolve().parents[3]
SCHEMA = load_workload(REPO / "workloads" / "orders.yaml").data_schema()
GET = OperationSpec(kind=OperationKind.GET, entity="orders", with_children=True, share=1)


def order(total: object, **extra: object) -> dict[str, object]:
    row: dict[str, object] = {
        "order_id": 1,
        "customer_id": 2,
        "placed_at": 1_767_225_600_000,
        "status": "paid",
        "total": total,
        "order_lines": [
            {"order_id": 1, "line_no": 2, "product_id": 3, "quantity": 1, "price": 1.5},
            {"order_id": 1, "line_no": 1, "product_id": 4, "quantity": 2, "price": Decimal("2.00")},
        ],
    }
    row.update(extra)
    return row


def test_a_decimal_equals_its_double_at_the_fields_scale() -> None:
    assert canonical_answer(SCHEMA, GET, order(Decimal("5.50"))) == canonical_answer(
        SCHEMA, GET, order(5.499999999)
    )
    assert canonical_answer(SCHEMA, GET, order(Decimal("5.50"))) != canonical_answer(
        SCHEMA, GET, order(5.51)
    )


def test_children_are_compared_in_sequence_order_and_missing_equals_none() -> None:
    answer = canonical_answer(SCHEMA, GET, order(Decimal(5)))
    assert [line["line_no"] for line in answer["order_lines"]] == [1, 2]  # type: ignore[index]
    without_status = order(Decimal(5))
    del without_status["status"]
    assert canonical_answer(SCHEMA, GET, without_status) == canonical_answer(
        SCHEMA, GET, order(Decimal(5), status=None)
    )


def test_an_average_is_compared_at_four_decimals() -> None:
    avg = OperationSpec(
        kind=OperationKind.AGGREGATE, entity="orders", function="avg", field="total", share=1
    )
    assert canonical_answer(SCHEMA, avg, 2 / 3) == canonical_answer(SCHEMA, avg, Decimal("0.66667"))
    assert canonical_answer(SCHEMA, avg, None) is None


def test_checksums_are_stable_and_tell_answers_apart() -> None:
    assert checksum([1, {"a": "x"}]) == checksum([1, {"a": "x"}])
    assert checksum([1, 2]) != checksum([2, 1])
