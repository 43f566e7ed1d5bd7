"""The plan rules every data model shares."""

from __future__ import annotations

import pytest

from bakeoff.adapters.data_model import UnsupportedOperationError
from bakeoff.adapters.model_plans import WRITES_BY_KEY, refuse_child_by_key, transaction_child
from bakeoff.core.schema import OperationKind, OperationSpec
from bakeoff.testing.model_conformance import shipped


def test_a_child_is_written_and_fetched_through_its_parent() -> None:
    schema, _ = shipped("orders")
    delete = OperationSpec(kind=OperationKind.DELETE, entity="order_lines", share=1)
    with pytest.raises(UnsupportedOperationError, match="through its parent 'orders'"):
        refuse_child_by_key(schema, delete)
    get = OperationSpec(kind=OperationKind.GET, entity="order_lines", share=1)
    with pytest.raises(UnsupportedOperationError, match="with their orders row"):
        refuse_child_by_key(schema, get)
    refuse_child_by_key(schema, get, WRITES_BY_KEY)
    refuse_child_by_key(schema, delete.model_copy(update={"entity": "orders"}))
    find = OperationSpec(kind=OperationKind.FIND, entity="order_lines", field="order_id", share=1)
    refuse_child_by_key(schema, find)


def _transaction(**decrement: str) -> OperationSpec:
    taken = {"entity": "products", "field": "stock", "by": "quantity", "via": "product_id"}
    return OperationSpec(
        kind=OperationKind.TRANSACTION, entity="orders", share=1, decrement=taken | decrement
    )


def test_a_transaction_decrements_a_root_stock_through_a_child_of_its_row() -> None:
    schema, _ = shipped("orders")
    assert transaction_child(schema, _transaction()) == "order_lines"
    with pytest.raises(UnsupportedOperationError, match="root entity"):
        transaction_child(schema, _transaction(entity="order_lines", field="quantity"))
    with pytest.raises(UnsupportedOperationError, match="root entity"):
        transaction_child(schema, _transaction(field="nope"))
    with pytest.raises(UnsupportedOperationError, match="no child of orders"):
        transaction_child(schema, _transaction(by="nope"))
