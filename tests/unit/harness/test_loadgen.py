from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from bakeoff.adapters.noop import NoopAdapter
from bakeoff.adapters.protocol import Record
from bakeoff.adapters.sql import SqlAdapter
from bakeoff.core.measures import Phase
from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.embedded import EmbeddedProvisioner
from bakeoff.harness.loadgen import (
    LOOP_CLOCK,
    STOP_POLL_S,
    ConnectionState,
    load_records,
    record_chunk,
    run_closed_loop,
    split_evenly,
)
from bakeoff.harness.operation_stream import OperationStream
from bakeoff.harness.recorder import Recorder
from bakeoff.workloads.loader import load_workload, shipped_workloads_dir
from bakeoff.workloads.model import Workload


def ycsb(name: str, **overrides: int | None) -> Workload:
    workload = load_workload(shipped_workloads_dir() / f"{name}.yaml")
    return workload.with_overrides(**overrides)


@pytest.fixture
def sqlite_adapter(tmp_path: Path) -> Iterator[SqlAdapter]:
    with EmbeddedProvisioner(engine_spec("sqlite"), parent_dir=tmp_path) as endpoint:
        adapter = SqlAdapter()
        adapter.connect(endpoint, {})
        yield adapter
        adapter.close()


def test_split_evenly_sums_and_balances() -> None:
    for total, parts in [(10, 3), (1, 4), (0, 2), (1000, 7)]:
        shares = split_evenly(total, parts)
        assert sum(shares) == total and max(shares) - min(shares) <= 1


def test_closed_loop_runs_exact_count_against_sqlite(sqlite_adapter: SqlAdapter) -> None:
    workload = ycsb("ycsb-a", records=200)
    sqlite_adapter.setup(workload.table_spec())
    state = ConnectionState()
    loader = Recorder(["insert_batch"], Phase.LOAD, start_ns=0)
    load_records(sqlite_adapter, workload, 0, 200, loader, state, batch_size=64, connection=0)
    assert sqlite_adapter.count_records(workload.table) == 200
    stream = OperationStream(workload, connection=0, connections=1, expected_operations=1000)

    recorder = Recorder(list(stream.operations), Phase.MEASURE, start_ns=time.perf_counter_ns())
    state = ConnectionState()
    run_closed_loop(sqlite_adapter, stream, recorder, state, operations=1000, deadline_ns=None)
    assert state.completed == 1000 and state.fatal_error is None
    rows = recorder.rows(time.perf_counter_ns())
    assert sum(r.count + r.not_found for r in rows) == 1000
    assert {r.operation for r in rows} == {"read", "update"}


def test_inserts_extend_the_key_space(sqlite_adapter: SqlAdapter) -> None:
    workload = ycsb("ycsb-d", records=100)
    sqlite_adapter.setup(workload.table_spec())
    load_records(
        sqlite_adapter,
        workload,
        0,
        100,
        Recorder(["insert"], Phase.LOAD, start_ns=0),
        ConnectionState(),
        batch_size=1,
        connection=0,
    )
    stream = OperationStream(workload, connection=0, connections=1, expected_operations=2000)
    recorder = Recorder(list(stream.operations), Phase.MEASURE, start_ns=0)
    state = ConnectionState()
    run_closed_loop(sqlite_adapter, stream, recorder, state, operations=2000, deadline_ns=None)
    rows = recorder.rows(10**18)
    inserted = sum(r.count for r in rows if r.operation == "insert")
    assert inserted == stream.inserted > 0
    assert sqlite_adapter.count_records(workload.table) == 100 + inserted
    # "latest" reads the newest records, which exist: no read misses.
    assert sum(r.not_found for r in rows) == 0


def test_duration_bound_loop_stops_on_time(sqlite_adapter: SqlAdapter) -> None:

    workload = ycsb("ycsb-c", records=50)
    sqlite_adapter.setup(workload.table_spec())
    load_records(
        sqlite_adapter,
        workload,
        0,
        50,
        Recorder(["insert"], Phase.LOAD, start_ns=0),
        ConnectionState(),
        batch_size=50,
        connection=0,
    )
    stream = OperationStream(workload, connection=0, connections=1, expected_operations=0)
    start = time.perf_counter_ns()
    recorder = Recorder(["read"], Phase.MEASURE, start_ns=start)
    run_closed_loop(
        sqlite_adapter,
        stream,
        recorder,
        ConnectionState(),
        operations=None,
        deadline_ns=start + 300_000_000,
    )
    elapsed = (time.perf_counter_ns() - start) / 1e9
    assert 0.3 <= elapsed < 1.0


def test_stop_request_ends_the_loop(sqlite_adapter: SqlAdapter) -> None:
    workload = ycsb("ycsb-c", records=10)
    sqlite_adapter.setup(workload.table_spec())
    stream = OperationStream(workload, connection=0, connections=1, expected_operations=0)
    state = ConnectionState(stop_requested=True)
    run_closed_loop(
        sqlite_adapter,
        stream,
        Recorder(["read"], Phase.MEASURE, start_ns=0),
        state,
        operations=None,
        deadline_ns=None,
    )
    assert state.completed == 0


def test_a_stop_request_mid_chunk_ends_the_loop_within_a_poll() -> None:
    # The loop looks at its stop flag after the first operation of a chunk and then at
    # most every STOP_POLL_S: with operations slower than that, after every one.
    state = ConnectionState()

    class SlowNoop(NoopAdapter):
        calls = 0

        def read(self, table: str, key: str, fields: Sequence[str] | None) -> Record | None:
            SlowNoop.calls += 1
            if SlowNoop.calls == 3:
                state.stop_requested = True
            time.sleep(STOP_POLL_S * 1.5)
            return super().read(table, key, fields)

    workload = ycsb("ycsb-c", records=10)
    stream = OperationStream(workload, connection=0, connections=1, expected_operations=0)
    run_closed_loop(
        SlowNoop(),
        stream,
        Recorder(["read"], Phase.MEASURE, start_ns=0),
        state,
        operations=None,
        deadline_ns=None,
    )
    assert state.completed == 3


def test_the_loop_clock_reads_the_recorders_clock() -> None:
    # Recorders place operations on perf_counter_ns's time line; the loops read LOOP_CLOCK.
    for _ in range(1000):
        before = time.perf_counter_ns()
        reading = LOOP_CLOCK()
        after = time.perf_counter_ns()
        assert before <= round(reading * 1e9) <= after


class _Kept(Recorder):
    """Keeps the arrays each chunk hands it."""

    def __init__(self) -> None:
        super().__init__(["read"], Phase.MEASURE, start_ns=0)
        self.chunks: list[tuple[list[int], list[int]]] = []

    def add_chunk(
        self, ops: Any, ends_ns: Any, service_ns: Any, outcomes: Any, response_ns: Any = None
    ) -> None:
        self.chunks.append((ends_ns.tolist(), service_ns.tolist()))


@pytest.mark.parametrize(("days_since_boot", "within_ns"), [(0.5, 0), (25, 0), (365, 3)])
def test_recorded_times_are_the_clocks_nanoseconds(days_since_boot: float, within_ns: int) -> None:
    # A reading is the clock's nanoseconds as float seconds (as perf_counter gives it);
    # the recorder gets the nanoseconds back: exactly for 26 days after boot, to a few
    # nanoseconds a year after.
    boot_ns = int(days_since_boot * 86_400e9)
    starts_ns = [boot_ns + 123_456_789 + k * 1_001 for k in range(50)]
    ends_ns = [start + 20_000 + k for k, start in enumerate(starts_ns)]
    recorder = _Kept()
    record_chunk(
        recorder,
        bytearray(50),
        [t / 1e9 for t in starts_ns],
        [t / 1e9 for t in ends_ns],
        bytearray(50),
        50,
    )
    [(ends, services)] = recorder.chunks
    assert max(abs(got - want) for got, want in zip(ends, ends_ns, strict=True)) <= within_ns
    assert max(abs(got - 20_000 - k) for k, got in enumerate(services)) <= 2 * within_ns
