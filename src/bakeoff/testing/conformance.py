"""The adapter conformance suite: the behaviour every adapter must have, run against a
real engine.

Use it from pytest by subclassing and providing two fixtures::

    from bakeoff.testing import AdapterConformance

    class TestMyAdapter(AdapterConformance):
        @pytest.fixture
        def adapter_class(self):
            return MyAdapter

        @pytest.fixture
        def endpoint(self):
            with MyProvisioner() as endpoint:   # a real engine, never a fake
                yield endpoint

Tests for optional capabilities skip when the adapter does not declare them; a declared
capability that misbehaves fails.
"""

from __future__ import annotations

import select
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import TypeVar

import pytest

from bakeoff.adapters.errors import AdapterError
from bakeoff.adapters.protocol import (
    PENDING,
    Adapter,
    BatchInsert,
    Capability,
    Endpoint,
    ExplainQueries,
    KeyExists,
    RecordCount,
    Settles,
    SplitKeyExists,
    SplitPhase,
    TableSpec,
)
from bakeoff.core.operations import OPERATIONS
from bakeoff.core.query_plans import QueryPlan, QueryShape

FIELDS = tuple(f"field{i}" for i in range(4))

AdapterT = TypeVar("AdapterT", bound=Adapter)


@contextmanager
def connected_adapter(
    adapter_class: type[AdapterT], endpoint: Endpoint, table: TableSpec
) -> Iterator[AdapterT]:
    """An adapter connected to `endpoint` with `table` set up; torn down and closed after."""
    adapter = adapter_class()
    adapter.connect(endpoint, {})
    adapter.setup(table)
    try:
        yield adapter
    finally:
        try:
            adapter.teardown(table)
        finally:
            adapter.close()


def _record(tag: str) -> dict[str, str]:
    return {name: f"{tag}-{name}-" + "x" * 8 for name in FIELDS}


class AdapterConformance:
    """Subclass in a test module and provide the `adapter_class` and `endpoint` fixtures."""

    @pytest.fixture
    def table(self) -> TableSpec:
        # A fresh name per test, so a failed teardown cannot leak state into the next one.
        return TableSpec(
            name=f"conf_{uuid.uuid4().hex[:10]}", field_names=FIELDS, max_field_length=64
        )

    @pytest.fixture
    def adapter(
        self, adapter_class: type[Adapter], endpoint: Endpoint, table: TableSpec
    ) -> Iterator[Adapter]:
        with connected_adapter(adapter_class, endpoint, table) as adapter:
            yield adapter

    def _needs(self, adapter: Adapter, capability: Capability) -> None:
        if capability not in type(adapter).capabilities:
            pytest.skip(f"adapter {type(adapter).name!r} does not declare {capability.value}")

    # -- the protocol itself ---------------------------------------------------------

    def test_declares_name_and_capabilities(self, adapter_class: type[Adapter]) -> None:
        assert isinstance(adapter_class.name, str) and adapter_class.name
        assert all(isinstance(c, Capability) for c in adapter_class.capabilities)

    def test_declared_optional_interfaces_are_implemented(self, adapter: Adapter) -> None:
        caps = type(adapter).capabilities
        if Capability.BATCH_INSERT in caps:
            assert isinstance(adapter, BatchInsert)
        if Capability.COUNT in caps:
            assert isinstance(adapter, RecordCount)
        if Capability.SPLIT_PHASE in caps:
            assert isinstance(adapter, SplitPhase)
        if Capability.EXPLAIN in caps:
            assert isinstance(adapter, ExplainQueries)
        if Capability.SETTLE in caps:
            assert isinstance(adapter, Settles)
        for op in OPERATIONS:
            if op.steps or not op.capabilities <= caps:
                continue
            assert callable(getattr(adapter, op.method, None)), f"{op.name}: no {op.method}()"
            if Capability.SPLIT_PHASE in caps and op.split_method is not None:
                assert callable(getattr(adapter, op.split_method, None)), (
                    f"{op.name}: no {op.split_method}()"
                )

    # -- lifecycle -------------------------------------------------------------------

    def test_setup_is_idempotent(self, adapter: Adapter, table: TableSpec) -> None:
        adapter.insert(table.name, "k1", _record("a"))
        adapter.setup(table)
        assert adapter.read(table.name, "k1", None) == _record("a")

    def test_teardown_is_idempotent_and_setup_recreates(
        self, adapter: Adapter, table: TableSpec
    ) -> None:
        adapter.insert(table.name, "k1", _record("a"))
        adapter.teardown(table)
        adapter.teardown(table)
        adapter.setup(table)
        assert adapter.read(table.name, "k1", None) is None

    def test_close_twice(self, adapter_class: type[Adapter], endpoint: Endpoint) -> None:
        adapter = adapter_class()
        adapter.connect(endpoint, {})
        adapter.close()
        adapter.close()

    # -- the five operations ---------------------------------------------------------

    def test_insert_then_read_all_fields(self, adapter: Adapter, table: TableSpec) -> None:
        adapter.insert(table.name, "user1", _record("one"))
        assert adapter.read(table.name, "user1", None) == _record("one")

    def test_read_field_subset(self, adapter: Adapter, table: TableSpec) -> None:
        adapter.insert(table.name, "user1", _record("one"))
        got = adapter.read(table.name, "user1", ["field1", "field3"])
        assert got == {"field1": _record("one")["field1"], "field3": _record("one")["field3"]}

    def test_read_absent_key_is_none(self, adapter: Adapter, table: TableSpec) -> None:
        assert adapter.read(table.name, "nobody", None) is None
        assert adapter.read(table.name, "nobody", ["field0"]) is None

    def test_update_changes_only_given_fields(self, adapter: Adapter, table: TableSpec) -> None:
        adapter.insert(table.name, "user1", _record("one"))
        adapter.update(table.name, "user1", {"field2": "changed"})
        expected = {**_record("one"), "field2": "changed"}
        assert adapter.read(table.name, "user1", None) == expected

    def test_update_does_not_touch_other_records(self, adapter: Adapter, table: TableSpec) -> None:
        adapter.insert(table.name, "user1", _record("one"))
        adapter.insert(table.name, "user2", _record("two"))
        adapter.update(table.name, "user1", {"field0": "changed"})
        assert adapter.read(table.name, "user2", None) == _record("two")

    def test_delete_removes_record(self, adapter: Adapter, table: TableSpec) -> None:
        self._needs(adapter, Capability.DELETE)
        adapter.insert(table.name, "user1", _record("one"))
        adapter.insert(table.name, "user2", _record("two"))
        adapter.delete(table.name, "user1")
        assert adapter.read(table.name, "user1", None) is None
        assert adapter.read(table.name, "user2", None) == _record("two")

    def test_delete_absent_key_is_not_an_error(self, adapter: Adapter, table: TableSpec) -> None:
        self._needs(adapter, Capability.DELETE)
        adapter.delete(table.name, "nobody")

    def test_duplicate_insert_is_an_adapter_error(self, adapter: Adapter, table: TableSpec) -> None:
        adapter.insert(table.name, "user1", _record("one"))
        try:
            adapter.insert(table.name, "user1", _record("again"))
        except AdapterError:
            return
        # Engines with upsert semantics (Redis, Cassandra) may overwrite instead; then the
        # record must be the new one, never a mix.
        assert adapter.read(table.name, "user1", None) == _record("again")

    def test_values_round_trip_unchanged(self, adapter: Adapter, table: TableSpec) -> None:
        tricky = {
            "field0": "quote ' and double \" and backslash \\",
            "field1": "semicolon; DROP TABLE x; --",
            "field2": "%s %(name)s $1 ? :name",
            "field3": "",
        }
        adapter.insert(table.name, "user'1", tricky)
        assert adapter.read(table.name, "user'1", None) == tricky

    # -- scans -----------------------------------------------------------------------

    def _fill(self, adapter: Adapter, table: TableSpec, n: int) -> list[str]:
        keys = [f"user{i:04d}" for i in range(n)]
        for key in reversed(keys):  # insertion order must not matter
            adapter.insert(table.name, key, _record(key))
        return keys

    def test_scan_returns_requested_count(self, adapter: Adapter, table: TableSpec) -> None:
        self._needs(adapter, Capability.SCAN)
        self._fill(adapter, table, 20)
        rows = adapter.scan(table.name, "user0000", 5, None)
        assert len(rows) == 5
        for key, record in rows:
            assert record == _record(key)

    def test_ordered_scan_starts_at_key_in_key_order(
        self, adapter: Adapter, table: TableSpec
    ) -> None:
        self._needs(adapter, Capability.ORDERED_SCAN)
        keys = self._fill(adapter, table, 20)
        rows = adapter.scan(table.name, "user0007", 5, None)
        assert [k for k, _ in rows] == keys[7:12]

    def test_ordered_scan_from_between_keys(self, adapter: Adapter, table: TableSpec) -> None:
        self._needs(adapter, Capability.ORDERED_SCAN)
        keys = self._fill(adapter, table, 10)
        rows = adapter.scan(table.name, "user0003x", 3, None)
        assert [k for k, _ in rows] == keys[4:7]

    def test_scan_past_end_returns_fewer(self, adapter: Adapter, table: TableSpec) -> None:
        self._needs(adapter, Capability.ORDERED_SCAN)
        keys = self._fill(adapter, table, 10)
        rows = adapter.scan(table.name, "user0008", 5, None)
        assert [k for k, _ in rows] == keys[8:]

    def test_scan_field_subset(self, adapter: Adapter, table: TableSpec) -> None:
        self._needs(adapter, Capability.SCAN)
        self._fill(adapter, table, 5)
        rows = adapter.scan(table.name, "user0000", 2, ["field1"])
        assert rows and all(set(record) == {"field1"} for _, record in rows)

    # -- optional capabilities -------------------------------------------------------

    def test_batch_insert(self, adapter: Adapter, table: TableSpec) -> None:
        self._needs(adapter, Capability.BATCH_INSERT)
        assert isinstance(adapter, BatchInsert)
        rows = [(f"b{i:03d}", _record(str(i))) for i in range(50)]
        adapter.insert_batch(table.name, rows)
        for key, record in rows[::7]:
            assert adapter.read(table.name, key, None) == record

    def test_count_records(self, adapter: Adapter, table: TableSpec) -> None:
        self._needs(adapter, Capability.COUNT)
        assert isinstance(adapter, RecordCount)
        assert adapter.count_records(table.name) == 0
        self._fill(adapter, table, 12)
        assert adapter.count_records(table.name) == 12

    def test_exists(self, adapter: Adapter, table: TableSpec) -> None:
        self._needs(adapter, Capability.EXISTS)
        assert isinstance(adapter, KeyExists)
        adapter.insert(table.name, "here", _record("a"))
        assert adapter.exists(table.name, "here") is True
        assert adapter.exists(table.name, "absent") is False

    def test_settle_after_a_load_keeps_the_data(self, adapter: Adapter, table: TableSpec) -> None:
        self._needs(adapter, Capability.SETTLE)
        assert isinstance(adapter, Settles)
        keys = self._fill(adapter, table, 20)
        done = adapter.settle(table)
        assert isinstance(done, str) and done.strip(), "settle says what it ran"
        assert {k: adapter.read(table.name, k, None) for k in keys} == {k: _record(k) for k in keys}
        # The connection goes on as before: it writes, and settles again.
        adapter.insert(table.name, "after", _record("after"))
        assert adapter.read(table.name, "after", None) == _record("after")
        adapter.settle(table)

    # -- split phase -------------------------------------------------------------------

    def _split(self, adapter: Adapter) -> SplitPhase:
        self._needs(adapter, Capability.SPLIT_PHASE)
        assert isinstance(adapter, SplitPhase)
        return adapter

    @staticmethod
    def _complete(adapter: SplitPhase, send: Callable[..., None], *args: object) -> object:
        """What the harness's split-phase loop does: send, wait for the socket, receive."""
        send(*args)
        while True:
            readable, _, _ = select.select([adapter.fileno()], [], [], 10.0)
            assert readable, "no reply within 10 s"
            result = adapter.receive()
            if result is not PENDING:
                return result

    def test_split_phase_operations_match_the_blocking_ones(
        self, adapter: Adapter, table: TableSpec
    ) -> None:
        split = self._split(adapter)
        t = table.name
        assert self._complete(split, split.send_insert, t, "s1", _record("a")) is None
        assert self._complete(split, split.send_read, t, "s1", None) == _record("a")
        assert self._complete(split, split.send_read, t, "s1", ["field1"]) == {
            "field1": _record("a")["field1"]
        }
        assert self._complete(split, split.send_read, t, "absent", None) is None
        self._complete(split, split.send_update, t, "s1", {"field0": "changed"})
        assert adapter.read(t, "s1", None) == {**_record("a"), "field0": "changed"}
        self._complete(split, split.send_delete, t, "s1")
        assert adapter.read(t, "s1", None) is None
        # The blocking calls and the split ones share the connection, in step.
        adapter.insert(t, "s2", _record("b"))
        assert self._complete(split, split.send_read, t, "s2", None) == _record("b")

    def test_split_phase_scan(self, adapter: Adapter, table: TableSpec) -> None:
        split = self._split(adapter)
        self._needs(adapter, Capability.SCAN)
        keys = self._fill(adapter, table, 6)
        rows = self._complete(split, split.send_scan, table.name, keys[0], 6, None)
        assert isinstance(rows, list)
        assert sorted(k for k, _ in rows) == keys
        assert dict(rows) == {k: _record(k) for k in keys}
        assert self._complete(split, split.send_scan, table.name, "zzzz", 3, None) == []

    def test_split_phase_exists(self, adapter: Adapter, table: TableSpec) -> None:
        split = self._split(adapter)
        self._needs(adapter, Capability.EXISTS)
        assert isinstance(split, SplitKeyExists)
        adapter.insert(table.name, "here", _record("a"))
        assert self._complete(split, split.send_exists, table.name, "here") is True
        assert self._complete(split, split.send_exists, table.name, "absent") is False

    def test_split_phase_error_arrives_as_an_adapter_error(
        self, adapter: Adapter, table: TableSpec
    ) -> None:
        split = self._split(adapter)
        adapter.insert(table.name, "dup", _record("one"))
        with suppress(AdapterError):
            self._complete(split, split.send_insert, table.name, "dup", _record("two"))
        # After an error, or an upsert, the connection still answers in step.
        assert self._complete(split, split.send_read, table.name, "dup", None) in (
            _record("one"),
            _record("two"),
        )

    # -- query plans (Capability.EXPLAIN) ----------------------------------------------

    def test_explain_summarises_each_shape_and_changes_no_data(
        self, adapter: Adapter, table: TableSpec
    ) -> None:
        self._needs(adapter, Capability.EXPLAIN)
        assert isinstance(adapter, ExplainQueries)
        keys = self._fill(adapter, table, 3)
        new = _record("new")
        shapes = [
            QueryShape("read", ("read",), keys[0], writes=False),
            QueryShape("update", ("update",), keys[0], writes=True, values={FIELDS[0]: "z"}),
            QueryShape("insert", ("insert",), "absent", writes=True, values=new),
        ]
        if Capability.DELETE in type(adapter).capabilities:
            shapes.append(QueryShape("delete", ("delete",), keys[1], writes=True))
        for shape in shapes:
            plan = adapter.explain(table.name, shape)
            assert isinstance(plan, QueryPlan) and plan.shape == shape.name
        assert {k: adapter.read(table.name, k, None) for k in keys} == {k: _record(k) for k in keys}
        assert adapter.read(table.name, "absent", None) is None
