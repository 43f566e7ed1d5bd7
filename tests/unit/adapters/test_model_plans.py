"""The plan rules every data model shares."""

from __future__ import annotations

import pytest

from bakeoff.adapters.data_model import UnsupportedOperationError
from bakeoff.adapters.model_plans import WRITES_BY_KEY, refuse_child_by_key
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
