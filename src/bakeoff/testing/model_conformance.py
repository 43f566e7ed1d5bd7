"""The data-model conformance suite: every model answers every operation it plans as the
contract's reference does, on a real engine.

Use it from pytest by subclassing and providing two fixtures::

    from bakeoff.testing.model_conformance import ModelConformance

    class TestMyModel(ModelConformance):
        @pytest.fixture
        def model_class(self):
            return MyModel

        @pytest.fixture
        def endpoint(self):
            with MyProvisioner() as endpoint:   # a real engine, never a fake
                yield endpoint

Each shipped schema workload is loaded, scaled down, into the model and into
`ReferenceStore`; read operations are compared on fixed parameters, then writes are
applied to both and their effects compared. Operations the model refuses in `plan` are
skipped (and listed in the skip reason); a planned one that answers differently fails,
naming the operation, the parameters and both answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import pytest

from bakeoff.adapters.data_model import DataModel, UnsupportedOperationError
from bakeoff.core.endpoint import Endpoint
from bakeoff.core.schema import OperationKind, OperationSpec, Parameters, Schema
from bakeoff.testing.model_reference import ReferenceStore
from bakeoff.workloads.answers import canonical_answer, canonical_row
from bakeoff.workloads.loader import load_workload, shipped_workloads_dir
from bakeoff.workloads.parameters import ParameterSource
from bakeoff.workloads.rows import rows_for_keys

SCALED_ROWS = {"customers": 40, "products": 15, "orders": 120, "devices": 8, "readings": 400}
"""Rows per root entity in the suite: small enough for seconds, big enough for groups."""
SEED = 7
PARAMETER_SETS = 12


def scaled(schema: Schema) -> Schema:
    entities = {
        name: spec.model_copy(update={"rows": SCALED_ROWS.get(name, min(spec.rows, 50))})
        if spec.parent is None
        else spec
        for name, spec in schema.entities.items()
    }
    return Schema(entities=entities)


def shipped(name: str) -> tuple[Schema, list[tuple[str, OperationSpec]]]:
    workload = load_workload(shipped_workloads_dir() / f"{name}.yaml")
    return scaled(workload.data_schema()), workload.operations.items()  # type: ignore[union-attr]


def planned(model: type[DataModel], schema: Schema, name: str, op: OperationSpec) -> bool:
    try:
        plan = model.plan(schema, name, op)
    except UnsupportedOperationError:
        return False
    return plan.workaround is None or plan.workaround in op.allow


@contextmanager
def loaded(
    model_class: type[DataModel], endpoint: Endpoint, schema: Schema
) -> Iterator[tuple[DataModel, ReferenceStore]]:
    """The model connected, set up and loaded with the schema's rows, and the reference
    holding the same rows; torn down after."""
    model = model_class()
    model.connect(endpoint, {})
    model.teardown(schema)
    model.setup(schema)
    reference = ReferenceStore(schema)
    try:
        for entity in schema.roots():
            rows = rows_for_keys(schema, entity, range(schema.entities[entity].rows), SEED)
            for start in range(0, len(rows), 100):
                model.load(entity, rows[start : start + 100])
            reference.load(entity, rows)
        yield model, reference
    finally:
        with suppress(Exception):
            model.teardown(schema)
        model.close()


def _mismatch(name: str, params: Any, got: Any, expected: Any) -> str:
    return f"{name} with {params!r}:\n  model:     {got!r}\n  reference: {expected!r}"


def compare(
    model: DataModel,
    reference: ReferenceStore,
    schema: Schema,
    name: str,
    op: OperationSpec,
    params: Parameters,
) -> None:
    got = canonical_answer(schema, op, model.prepare(name, op)(params))
    expected = canonical_answer(schema, op, reference.answer(op, params))
    assert got == expected, _mismatch(name, params, got, expected)


def _all_rows(model: DataModel, reference: ReferenceStore, schema: Schema, entity: str) -> None:
    key = schema.entities[entity].key

    def order(rows: list[dict[str, object]]) -> list[dict[str, object]]:
        return sorted(rows, key=lambda r: tuple(str(r[k]).zfill(20) for k in key))

    got = order([canonical_row(schema, entity, r) for r in model.dump(entity)])
    expected = order([canonical_row(schema, entity, r) for r in reference.all_rows(entity)])
    assert got == expected, (
        f"{entity}: rows differ after the writes ({len(got)} vs {len(expected)})"
    )


def stock_shortage(schema: Schema, operation: OperationSpec, row: dict[str, Any]) -> dict[str, Any]:
    """A copy of a transaction's row that asks for more stock than any row holds."""
    assert operation.decrement is not None
    children = schema.children_of(operation.entity)
    stock_spec = schema.entities[operation.decrement.entity].fields[operation.decrement.field]
    too_many = (stock_spec.max or 10**9) + 1
    child_rows = [dict(c, **{operation.decrement.by: too_many}) for c in row[children[0]]]
    return {**row, children[0]: child_rows}


class ModelConformance:
    """Subclass with `model_class` and `endpoint` fixtures (see the module docstring)."""

    @pytest.fixture(params=["orders", "timeseries"])
    def workload(
        self, request: pytest.FixtureRequest
    ) -> tuple[Schema, list[tuple[str, OperationSpec]]]:
        return shipped(str(request.param))

    def test_the_model_declares_a_name_and_its_adapters(self, model_class: type[DataModel]) -> None:
        assert model_class.name and model_class.adapters and model_class.description
        assert isinstance(model_class.layout(shipped("orders")[0]), list)

    def test_reads_answer_as_the_reference(
        self, model_class: type[DataModel], endpoint: Endpoint, workload: Any
    ) -> None:
        schema, operations = workload
        reads = [
            (n, op) for n, op in operations if op.reads() and planned(model_class, schema, n, op)
        ]
        with loaded(model_class, endpoint, schema) as (model, reference):
            for name, op in reads:
                source = ParameterSource(schema, name, op, seed=SEED, connection=0, connections=1)
                for params in source.draw(PARAMETER_SETS):
                    compare(model, reference, schema, name, op, params)
        if not reads:
            pytest.skip("the model plans no read operation of this workload")

    def test_writes_have_the_reference_effects(
        self, model_class: type[DataModel], endpoint: Endpoint, workload: Any
    ) -> None:
        schema, operations = workload
        writes = [
            (n, op)
            for n, op in operations
            if not op.reads() and planned(model_class, schema, n, op)
        ]
        if not writes:
            pytest.skip("the model plans no write operation of this workload")
        with loaded(model_class, endpoint, schema) as (model, reference):
            for name, op in writes:
                source = ParameterSource(schema, name, op, seed=SEED, connection=0, connections=1)
                for params in source.draw(4):
                    compare(model, reference, schema, name, op, params)
                if op.kind is OperationKind.TRANSACTION:
                    short = {"row": stock_shortage(schema, op, source.draw(1)[0]["row"])}
                    compare(model, reference, schema, name, op, short)
            for entity in schema.entities:
                _all_rows(model, reference, schema, entity)

    def test_extra_operations_answer_as_the_reference(
        self, model_class: type[DataModel], endpoint: Endpoint
    ) -> None:
        """Kinds the shipped workloads do not use: delete, upsert, compare-and-set, and
        a get without children, on the orders schema."""
        schema, _ = shipped("orders")
        extra = {
            "drop_order": OperationSpec(kind=OperationKind.DELETE, entity="orders", share=0),
            "put_customer": OperationSpec(kind=OperationKind.UPSERT, entity="customers", share=0),
            "ship": OperationSpec(
                kind=OperationKind.COMPARE_AND_SET,
                entity="orders",
                field="status",
                expect="paid",
                to="shipped",
                share=0,
            ),
            "order_only": OperationSpec(kind=OperationKind.GET, entity="orders", share=0),
            "count_paid": OperationSpec(
                kind=OperationKind.AGGREGATE, entity="orders", function="count", share=0
            ),
        }
        usable = {n: op for n, op in extra.items() if planned(model_class, schema, n, op)}
        if not usable:
            pytest.skip("the model plans none of delete, upsert, compare_and_set")
        with loaded(model_class, endpoint, schema) as (model, reference):
            for name, op in usable.items():
                source = ParameterSource(schema, name, op, seed=SEED, connection=0, connections=1)
                for params in source.draw(6):
                    compare(model, reference, schema, name, op, params)
            for entity in schema.entities:
                _all_rows(model, reference, schema, entity)
