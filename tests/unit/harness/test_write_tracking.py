"""Write tracking: a stream's writes are stamped with a version, and the recorder notes
each one as acknowledged or indeterminate from the chunk's outcomes."""

from __future__ import annotations

import time

import numpy as np

from bakeoff.adapters.noop import NoopAdapter
from bakeoff.core.measures import Phase
from bakeoff.harness.loadgen import ConnectionState, run_closed_loop
from bakeoff.harness.operation_stream import GROWN_CHUNK, OperationStream
from bakeoff.harness.recorder import Outcome
from bakeoff.harness.write_tracking import TrackingRecorder, tracked, version_of
from bakeoff.workloads.model import Workload


def test_writes_are_versioned_and_their_outcomes_noted() -> None:
    workload = Workload.model_validate(
        {
            "name": "w",
            "records": 50,
            "operation_count": 100,
            "operations": {"update": 0.5, "read": 0.5},
        }
    )
    stream = OperationStream(workload, connection=3, connections=4, expected_operations=100)
    recorder = TrackingRecorder(list(stream.operations), Phase.MEASURE, start_ns=0)
    tracking, recorder = tracked(stream, recorder, 3)

    class Adapter:
        def read(self, *args: object) -> None: ...
        def update(self, *args: object) -> None: ...

    op_indexes, calls, arguments = tracking.next_chunk(Adapter(), 20)
    writes = [
        (i, args)
        for i, ((fn, _), args) in enumerate(zip(calls, arguments, strict=True))
        if fn.__name__ == "update"
    ]
    assert writes and all(version_of(v) for _, args in writes for v in args[2].values())
    assert all(version_of(next(iter(args[2].values()))).startswith("3.") for _, args in writes)  # type: ignore[union-attr]
    outcomes = np.full(20, int(Outcome.OK), dtype=np.uint8)
    first_write = writes[0][0]
    outcomes[first_write] = int(Outcome.TRANSIENT)
    done = 15  # the phase ended after 15 operations: the rest were never issued
    ends = np.arange(1, done + 1, dtype=np.int64) * 1000
    recorder.add_chunk(
        np.array(op_indexes[:done], dtype=np.uint8),
        ends,
        np.full(done, 100, dtype=np.int64),
        outcomes[:done],
    )
    issued = [i for i, _ in writes if i < done]
    assert [w.key for w in recorder.writes] == [arguments[i][1] for i in issued]
    assert [w.acknowledged for w in recorder.writes] == [i != first_write for i in issued]
    assert recorder.writes[0].end_ns - recorder.writes[0].start_ns == 100


def test_a_closed_loop_hands_a_tracking_recorder_every_chunk_on_its_own() -> None:
    # The loop records quick chunks a few at a time, but a tracking recorder matches the
    # outcomes to its stream's last chunk: every write of every chunk must be noted.
    workload = Workload.model_validate(
        {"name": "w", "records": 50, "operations": {"update": 0.5, "read": 0.5}}
    )
    stream = OperationStream(workload, connection=0, connections=1, expected_operations=10_000)
    recorder = TrackingRecorder(list(stream.operations), Phase.MEASURE, start_ns=0)
    tracking, recorder = tracked(stream, recorder, 0)
    state = ConnectionState()
    run_closed_loop(NoopAdapter(), tracking, recorder, state, operations=10_000, deadline_ns=None)
    updates = recorder.rows(time.perf_counter_ns())
    issued = sum(row.count for row in updates if row.operation == "update")
    assert state.completed == 10_000
    assert len(recorder.writes) == issued > 2 * GROWN_CHUNK
    assert all(w.acknowledged and w.end_ns >= w.start_ns for w in recorder.writes)


def test_stamping_a_write_leaves_the_values_other_writes_share_unchanged() -> None:
    # The stream hands the same one-field dict to several updates; a stamp written into
    # it would reach the writes that follow, and other connections' versions with them.
    workload = Workload.model_validate(
        {
            "name": "w",
            "records": 50,
            "fields": {"count": 1},
            "operation_count": 4000,
            "operations": {"update": 1.0},
        }
    )
    stream = OperationStream(workload, connection=0, connections=1, expected_operations=4000)
    tracking, _ = tracked(
        stream, TrackingRecorder(list(stream.operations), Phase.MEASURE, start_ns=0), 0
    )
    stamped = tracking.next_chunk(NoopAdapter(), 2000).arguments
    assert all(version_of(args[2]["field0"]) for args in stamped)
    plain = stream.next_chunk(NoopAdapter(), 2000).arguments
    assert not any(version_of(args[2]["field0"]) for args in plain)
