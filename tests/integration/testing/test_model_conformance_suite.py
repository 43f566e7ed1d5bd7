"""The data-model conformance suite itself, run on the dictstore plugin's in-process
engine (tests/plugins/dictstore): its `documents` model passes, and its `lossy` model,
which drops one row of find and range answers, fails naming the operation."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from bakeoff.core.endpoint import Endpoint
from bakeoff.testing.model_conformance import ModelConformance, shipped


def _plugin() -> ModuleType:
    # Imported from its file, not put on sys.path: on the path its entry points would
    # join every registry of this test process.
    path = Path(__file__).resolve().parents[2] / "plugins" / "dictstore" / "bakeoff_dictstore.py"
    spec = importlib.util.spec_from_file_location("bakeoff_dictstore", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bakeoff_dictstore = _plugin()

ENDPOINT = Endpoint(engine="dictstore", url="dictstore://conformance", display_url="dictstore")


class TestDictDocumentModel(ModelConformance):
    @pytest.fixture
    def model_class(self) -> Any:
        return bakeoff_dictstore.DictDocumentModel

    @pytest.fixture
    def endpoint(self) -> Iterator[Endpoint]:
        yield ENDPOINT


def test_a_model_that_loses_a_row_fails_naming_the_operation() -> None:
    suite = ModelConformance()
    with pytest.raises(AssertionError) as failed:
        suite.test_reads_answer_as_the_reference(
            bakeoff_dictstore.LossyDocumentModel, ENDPOINT, shipped("orders")
        )
    assert "model:" in str(failed.value) and "reference:" in str(failed.value)
    assert str(failed.value).split(" with ")[0] in ("customer_orders", "orders_by_status")
