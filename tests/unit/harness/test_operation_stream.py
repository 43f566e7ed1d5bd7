"""The operation stream: keys per connection, and every operation bound from its table entry."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from bakeoff.adapters.noop import NoopAdapter
from bakeoff.adapters.protocol import Record
from bakeoff.core.operations import BY_NAME, OPERATIONS, Argument
from bakeoff.harness.operation_stream import (
    CHUNK,
    GROWN_CHUNK,
    QUICK_CHUNK_NS,
    OperationStream,
    blocking_method,
    connection_key_number,
    loaded_key_table,
    next_chunk_size,
)
from bakeoff.workloads.keys import key_names
from bakeoff.workloads.loader import load_workload, shipped_workloads_dir
from bakeoff.workloads.model import OperationMix, Workload


def test_connections_insert_disjoint_keys() -> None:
    records, connections = 100, 4
    own = np.arange(records, records + 50, dtype=np.int64)
    numbers = [
        set(connection_key_number(own, records, c, connections).tolist())
        for c in range(connections)
    ]
    for a in range(connections):
        assert min(numbers[a]) >= records
        for b in range(a + 1, connections):
            assert not numbers[a] & numbers[b]
    loaded = np.arange(records, dtype=np.int64)
    assert connection_key_number(loaded, records, 2, connections).tolist() == loaded.tolist()


def test_stream_is_deterministic_per_seed() -> None:
    workload = load_workload(shipped_workloads_dir() / "ycsb-a.yaml").with_overrides(records=50)

    def keys(seed_workload: Workload) -> list[object]:
        stream = OperationStream(
            seed_workload, connection=0, connections=1, expected_operations=100
        )
        _, calls = stream.next_chunk(NoopAdapter(), 100)
        return [args[1] for _, args in calls]

    assert keys(workload) == keys(workload)
    assert keys(workload) != keys(workload.with_overrides(seed=workload.seed + 1))


def test_keys_from_the_table_of_loaded_keys_are_the_formatted_ones() -> None:
    numbers = np.array([0, 7, 19, 20, 21, 5000], dtype=np.int64)  # 20 on: inserted keys
    for order in ("hashed", "ordered"):
        workload = load_workload(shipped_workloads_dir() / "ycsb-d.yaml").model_copy(
            update={"records": 20, "insert_order": order}
        )
        stream = OperationStream(workload, connection=0, connections=1, expected_operations=10)
        expected = key_names(numbers, prefix=workload.key_prefix, insert_order=order)
        assert stream._key_names(numbers) == expected
        assert stream._key_names(numbers[:3]) == expected[:3]  # all from the table
        assert loaded_key_table(workload.key_prefix, order, 20).size == 20


def test_closed_loop_chunks_grow_only_while_quick() -> None:
    assert next_chunk_size(CHUNK, 0, QUICK_CHUNK_NS - 1) == 2 * CHUNK
    assert next_chunk_size(CHUNK, 0, QUICK_CHUNK_NS) == CHUNK
    assert next_chunk_size(GROWN_CHUNK, 0, 1) == GROWN_CHUNK
    assert next_chunk_size(16, 0, 1) == 32  # a stream's own small chunk grows too


class _Logged(NoopAdapter):
    """The no-op adapter, remembering its calls; key "absent" holds no record."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def read(self, table: str, key: str, fields: Sequence[str] | None) -> Record | None:
        self.calls.append(f"read {key}")
        return None if key == "absent" else {"field0": "x"}

    def update(self, table: str, key: str, values: Mapping[str, str]) -> None:
        self.calls.append(f"update {key}")


def test_read_modify_write_is_read_then_update_stopping_when_absent() -> None:
    adapter = _Logged()
    rmw = blocking_method(adapter, BY_NAME["read_modify_write"])
    assert rmw(("t", "here", None), ("t", "here", {"field0": "y"})) == {"field0": "x"}
    assert rmw(("t", "absent", None), ("t", "absent", {"field0": "y"})) is None
    assert adapter.calls == ["read here", "update here", "read absent"]


def test_every_operation_is_bound_with_its_argument_kinds() -> None:
    shares = {op.name: 1 / len(OPERATIONS) for op in OPERATIONS}
    workload = Workload(name="all", records=100, operations=OperationMix(**shares))
    stream = OperationStream(workload, connection=0, connections=1, expected_operations=1000)
    op_indexes, calls = stream.next_chunk(NoopAdapter(), 512)
    for index, (method, args) in zip(op_indexes, calls, strict=True):
        op = BY_NAME[stream.operations[index]]
        if op.steps:
            assert [len(step) for step in args] == [
                1 + len(BY_NAME[name].arguments) for name in op.steps
            ]
        else:
            assert method.__name__ == op.method
            assert len(args) == 1 + len(op.arguments) and args[0] == "usertable"
            if Argument.SCAN_LENGTH in op.arguments:
                assert isinstance(args[1 + op.arguments.index(Argument.SCAN_LENGTH)], int)
    assert stream.not_found_results() == [
        BY_NAME[name].not_found_result for name in stream.operations
    ]
