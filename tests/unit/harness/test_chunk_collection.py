"""Python's cycle collector runs between a loop's chunks, never inside a timed call."""

from __future__ import annotations

import gc
import time
import weakref
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from bakeoff.adapters.noop import NoopAdapter
from bakeoff.core.measures import Phase
from bakeoff.harness.chunk_collection import ChunkCollection
from bakeoff.harness.loadgen import ConnectionState, run_closed_loop
from bakeoff.harness.operation_stream import OperationStream
from bakeoff.harness.recorder import Recorder
from bakeoff.workloads.model import Workload


@pytest.fixture(autouse=True)
def collector_enabled() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_automatic_collection_is_off_in_a_loop_and_a_chunk_end_collects_cycles() -> None:
    with ChunkCollection() as collection:
        assert not gc.isenabled()
        garbage = weakref.ref(_Cycle())  # unreachable at once, but only a collection frees it
        assert garbage() is not None
        collection.after_chunk()
        assert garbage() is None
    assert gc.isenabled()


def test_the_last_loop_to_end_gives_the_collector_back_as_it_found_it() -> None:
    first, second = ChunkCollection(), ChunkCollection()
    with first:
        with second:
            pass
        assert not gc.isenabled()  # the first loop still runs
    assert gc.isenabled()
    gc.disable()
    with ChunkCollection():
        pass
    assert not gc.isenabled()


def test_no_collection_starts_inside_an_adapter_call() -> None:
    class Allocating(NoopAdapter):
        """Keeps a container object from every call, as a driver's caches do; notes when
        it runs."""

        inside = False
        kept: ClassVar[list[list[str]]] = []

        def read(self, table: str, key: str, fields: Any) -> Any:
            Allocating.inside = True
            Allocating.kept.append([key])
            Allocating.inside = False
            return Allocating.kept[-1]

    starts_inside: list[bool] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            starts_inside.append(Allocating.inside)

    workload = Workload.model_validate(
        {"name": "w", "records": 100, "operation_count": 20_000, "operations": {"read": 1.0}}
    )
    stream = OperationStream(workload, connection=0, connections=1, expected_operations=20_000)
    recorder = Recorder(list(stream.operations), Phase.MEASURE, start_ns=time.perf_counter_ns())
    gc.callbacks.append(note)
    try:
        run_closed_loop(
            Allocating(), stream, recorder, ConnectionState(), operations=20_000, deadline_ns=None
        )
    finally:
        gc.callbacks.remove(note)
    # 20,000 objects kept by calls: left automatic, the collector starts every 700 or so
    # new objects, often inside a call.
    assert starts_inside and not any(starts_inside)
