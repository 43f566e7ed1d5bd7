"""Schema workloads: typed entities and named logical operations, read from YAML.

A wrong file is one line naming the file, the line and the field; the shipped schema
workloads load; key-value workloads keep their specs and hashes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bakeoff.core.schema import OperationKind
from bakeoff.workloads.loader import WorkloadError, load_workload
from bakeoff.workloads.logical import LogicalMix

REPO = Path(__file__).resolve().parents[3]

SCHEMA = """\
name: shop
entities:
  customers:
    key: [customer_id]
    rows: 20
    fields:
      customer_id: integer
      country: {type: text, choices: [DE, FR]}
      joined: timestamp
    indexes: [country]
  orders:
    key: [order_id]
    rows: 50
    fields:
      order_id: integer
      customer_id: {type: integer, references: customers}
      total: {type: decimal, sum_of_children: [quantity]}
  lines:
    key: [order_id, line_no]
    parent: {entity: orders, field: order_id, children: [1, 3]}
    fields:
      order_id: integer
      line_no: integer
      quantity: {type: integer, min: 1, max: 4}
operations:
"""


def write(tmp_path: Path, operations: str) -> Path:
    path = tmp_path / "shop.yaml"
    path.write_text(SCHEMA + operations, encoding="utf-8")
    return path


def one_line(path: Path) -> str:
    with pytest.raises(WorkloadError) as caught:
        load_workload(path)
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("name", ["orders", "timeseries"])
def test_the_shipped_schema_workloads_load(name: str) -> None:
    workload = load_workload(REPO / "workloads" / f"{name}.yaml")
    assert workload.is_schema_workload
    assert isinstance(workload.operations, LogicalMix)
    assert workload.rows_to_load == sum(
        e.rows for e in workload.data_schema().entities.values() if e.parent is None
    )


def test_a_valid_schema_workload_has_its_operations_in_order(tmp_path: Path) -> None:
    workload = load_workload(
        write(
            tmp_path,
            "  by_country: {kind: find, entity: customers, field: country, share: 0.5}\n"
            "  order: {kind: get, entity: orders, with_children: true, share: 0.5}\n",
        )
    )
    assert [n for n, _ in workload.operations.items()] == ["by_country", "order"]  # type: ignore[union-attr]
    assert workload.operations.active() == ["by_country", "order"]
    assert workload.required_capabilities() == frozenset()


@pytest.mark.parametrize(
    ("operation", "line", "expected"),
    [
        (
            "  x: {kind: fnd, entity: customers, field: country, share: 1}\n",
            26,
            "operations.x.kind: input should be 'get', 'find'",
        ),
        (
            "  x: {kind: find, entity: shoppers, field: country, share: 1}\n",
            26,
            "operations.x.entity: no entity 'shoppers'",
        ),
        (
            "  x: {kind: find, entity: customers, field: joined, share: 1}\n",
            26,
            "operations.x.field: 'joined' is not in customers.indexes",
        ),
        (
            "  x: {kind: find, entity: customers, field: country, share: 0.4}\n",
            26,
            "operation shares must sum to 1",
        ),
        (
            "  x: {kind: get, entity: lines, share: 1}\n",
            26,
            "operations.x.entity: lines is a child of orders",
        ),
        (
            "  x: {kind: range, entity: orders, share: 1}\n",
            26,
            "range needs `window`",
        ),
    ],
)
def test_a_wrong_operation_is_one_line_with_file_line_and_field(
    tmp_path: Path, operation: str, line: int, expected: str
) -> None:
    path = write(tmp_path, operation)
    message = one_line(path)
    assert message.startswith(f"{path}:{line}:"), message
    assert expected in message


def test_a_wrong_entity_names_its_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        SCHEMA.replace("key: [customer_id]", "key: [id]")
        + "  x: {kind: get, entity: orders, share: 1}\n",
        encoding="utf-8",
    )
    message = one_line(path)
    assert "entities.customers" in message
    assert "unknown field 'id'" in message


def test_logical_operations_without_entities_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\noperations:\n  a: {kind: get, entity: t, share: 1}\n")
    assert "named logical operations need `entities`" in one_line(path)


def test_the_mix_says_whether_the_data_keeps_its_size(tmp_path: Path) -> None:
    reads = load_workload(
        write(tmp_path, "  a: {kind: get, entity: orders, share: 1}\n")
    ).operations
    writes = load_workload(
        write(tmp_path, "  a: {kind: insert, entity: orders, share: 1}\n")
    ).operations
    assert reads.keeps_its_size() and not writes.keeps_its_size()
    assert not reads.all_split_phase()


def test_a_transaction_must_decrement_a_referenced_stock(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "  t:\n    kind: transaction\n    entity: orders\n"
        "    decrement: {entity: customers, field: country, by: quantity, via: line_no}\n"
        "    share: 1\n",
    )
    message = one_line(path)
    assert "operations.t.decrement.via: must reference customers" in message
    assert OperationKind.TRANSACTION.value == "transaction"


def test_records_on_the_command_line_scale_every_root_entity() -> None:
    workload = load_workload(REPO / "workloads" / "orders.yaml").with_overrides(records=270)
    assert workload.entities is not None
    rows = {name: e.rows for name, e in workload.entities.items()}
    assert rows == {"customers": 50, "products": 20, "orders": 200, "order_lines": 0}
    assert workload.rows_to_load == 270


def test_a_schema_workloads_spec_leaves_out_key_value_settings() -> None:
    dumped = load_workload(REPO / "workloads" / "orders.yaml").model_dump(mode="json")
    assert "records" not in dumped and "fields" not in dumped and "table" not in dumped
    assert "field" not in dumped["operations"]["get_order"]  # unset settings are not null
