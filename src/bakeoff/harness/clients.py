"""Client groups: where connections run.

A connection is one adapter, one operation stream and one recorder. Connections are
organised as P groups of C: a group is either this process (threads) or a worker process
hosting its own threads (`bakeoff.harness.worker_process`). Every group returns its
interval rows with encoded histograms, which the runner merges exactly.
"""

from __future__ import annotations

import contextlib
import os
import resource
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol, cast

from bakeoff.adapters.data_model import DataModel
from bakeoff.adapters.protocol import Adapter, Endpoint, TableSpec
from bakeoff.core.measures import IntervalRow, Phase
from bakeoff.core.schema import Schema
from bakeoff.harness.loadgen import (
    ConnectionState,
    OpenLoopSchedule,
    first_arrival_ns,
    load_records,
    run_closed_loop,
    run_open_loop,
)
from bakeoff.harness.multiplex import run_split_phase_closed_loop
from bakeoff.harness.operation_stream import OperationStream, Stream
from bakeoff.harness.reconnect import reconnect, run_reconnecting
from bakeoff.harness.recorder import Recorder
from bakeoff.harness.schema_stream import LOAD_OPERATION, SchemaStream, load_rows
from bakeoff.harness.write_tracking import TrackingRecorder, Write, tracked
from bakeoff.workloads.generators import connection_rng
from bakeoff.workloads.model import Workload


@dataclass(frozen=True)
class PhaseCommand:
    """One phase for every connection of a group. Picklable: it crosses process boundaries."""

    phase: Phase
    start_ns: int
    """Phase start on the monotonic clock (CLOCK_MONOTONIC is shared by all processes)."""
    interval_ns: int
    load_ranges: Mapping[int, tuple[int, int]] = field(default_factory=dict)
    """Load phase: connection index -> (first record, record count)."""
    load_batch: int = 1
    connections: int = 1
    """Connections over all groups (a schema load splits every entity among them)."""
    operations: Mapping[int, int | None] = field(default_factory=dict)
    """Operating phases: connection index -> operation count (None: until the deadline)."""
    deadline_ns: int | None = None
    rate_per_connection: float | None = None
    """Open loop: target ops/s of each connection; None for a closed loop."""
    arrival: str = "constant"
    split_phase: bool = False
    """Closed loop: one thread runs every connection of the group through SplitPhase."""
    spin_ns: int = 0
    """Split phase: how long that thread polls for a reply before it sleeps."""
    track_writes: bool = False
    """Note every write and what became of it (faults are scheduled: write_tracking.py)."""


@dataclass
class PhaseResult:
    rows: list[IntervalRow]
    cpu_s: float
    """CPU time (user + system) the group's process spent during the phase."""
    wall_s: float
    fatal_error: str | None = None
    late: int = 0
    """Open loop: operations that started behind their schedule."""
    completed: int = 0
    writes: list[Write] = field(default_factory=list)
    """With `track_writes`: every write issued, acknowledged or indeterminate."""


class WorkerLostError(RuntimeError):
    """A group's worker on another machine is gone (its node left the cluster): the
    trial keeps what was merged before and ends as partial. `kept` holds the intervals
    the worker handed over before it was lost."""

    def __init__(self, message: str, kept: PhaseResult | None = None) -> None:
        super().__init__(message)
        self.kept = kept


class ClientGroup(Protocol):
    connections: list[int]
    """The indexes of the connections this group runs."""

    def connect(self) -> None: ...

    def setup(self, table: TableSpec | Schema) -> None: ...

    def start_phase(self, command: PhaseCommand) -> None: ...

    def completed(self) -> int: ...

    def request_stop(self) -> None: ...

    def wait(self, timeout: float) -> PhaseResult | None:
        """The phase's result once every connection of the group has finished, else None."""

    def close(self) -> None: ...


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class ThreadClientGroup:
    """Connections as threads of this process."""

    def __init__(
        self,
        adapter_cls: type[Adapter],
        endpoint: Endpoint,
        options: Mapping[str, str],
        workload: Workload,
        connections: Sequence[int],
        total_connections: int,
        expected_operations: Mapping[int, int],
        recorder: Callable[..., Recorder] = Recorder,
    ) -> None:
        self.connections = list(connections)
        self._recorder = recorder
        self._total_connections = total_connections
        self._adapter_cls = adapter_cls
        self._endpoint = endpoint
        self._options = options
        self._workload = workload
        self._adapters: list[Adapter] = []
        stream_of = SchemaStream if workload.is_schema_workload else OperationStream
        self._phase_streams: list[Stream] = []
        self._table: TableSpec | Schema | None = None
        self._streams: list[Stream] = [
            stream_of(
                workload,
                connection=w,
                connections=total_connections,
                expected_operations=expected_operations.get(w, workload.records),
            )
            for w in self.connections
        ]
        self._schedules: list[OpenLoopSchedule] = []
        self._states: list[ConnectionState] = []
        self._threads: list[threading.Thread] = []
        self._recorders: list[Recorder] = []
        self._command: PhaseCommand | None = None
        self._cpu_start = 0.0
        self._stop = False
        # Completion is signalled through an Event, not Thread.join(timeout): in CPython
        # 3.11 a Ctrl-C that interrupts join() can mark a still-running thread as stopped
        # (the interrupted acquire releases the thread's own state lock), after which the
        # runner would close connections under a live thread.
        self._all_done = threading.Event()
        self._running = 0
        self._running_lock = threading.Lock()

    def connect(self) -> None:
        for _ in self.connections:
            adapter = self._adapter_cls()
            self._adapters.append(adapter)
            adapter.connect(self._endpoint, self._options)

    def setup(self, table: TableSpec | Schema) -> None:
        self._table = table
        for adapter in self._adapters:
            adapter.setup(table)  # type: ignore[arg-type]  # a data model's layout is a Schema

    def start_phase(self, command: PhaseCommand) -> None:
        self._command = command
        self._stop = False
        self._cpu_start = _cpu_seconds()
        open_loop = command.rate_per_connection is not None and command.phase is not Phase.LOAD
        self._states = [ConnectionState() for _ in self.connections]
        if command.phase is Phase.LOAD and self._workload.is_schema_workload:
            op_names = [LOAD_OPERATION]
        elif command.phase is Phase.LOAD:
            op_names = ["insert_batch" if command.load_batch > 1 else "insert"]
        else:
            op_names = list(self._streams[0].operations)
        recorder_class = TrackingRecorder if command.track_writes else self._recorder
        self._recorders = [
            recorder_class(
                op_names,
                command.phase,
                start_ns=command.start_ns,
                interval_ns=command.interval_ns,
                response_time=open_loop,
            )
            for _ in self.connections
        ]
        self._phase_streams = list(self._streams)
        if command.track_writes:
            self._phase_streams = [
                tracked(s, cast("TrackingRecorder", r), w)[0]
                for s, r, w in zip(self._streams, self._recorders, self.connections, strict=True)
            ]
        if open_loop and command.rate_per_connection is not None:
            self._schedules = [
                OpenLoopSchedule(
                    rate=command.rate_per_connection,
                    arrival=command.arrival,
                    rng=connection_rng(self._workload.seed, w, f"arrivals-{command.phase.value}"),
                    next_offset_ns=first_arrival_ns(
                        w, self._total_connections, command.rate_per_connection, command.arrival
                    ),
                )
                for w in self.connections
            ]
        self._all_done.clear()
        if command.split_phase:  # the runner decides: closed loop, SPLIT_PHASE adapter
            self._running = 1
            self._threads = [
                threading.Thread(
                    target=self._run_split_phase,
                    args=(command,),
                    name=f"bakeoff-{command.phase.value}-split-phase",
                    daemon=True,
                )
            ]
            self._threads[0].start()
            return
        self._running = len(self.connections)
        self._threads = [
            threading.Thread(
                target=self._run_connection,
                args=(i, command, open_loop),
                name=f"bakeoff-{command.phase.value}-{w}",
                daemon=True,
            )
            for i, w in enumerate(self.connections)
        ]
        for thread in self._threads:
            thread.start()

    def _run_connection(self, i: int, command: PhaseCommand, open_loop: bool) -> None:
        state, recorder, adapter = self._states[i], self._recorders[i], self._adapters[i]
        connection = self.connections[i]
        try:
            if command.phase is Phase.LOAD and self._workload.is_schema_workload:
                load_rows(
                    cast("DataModel", adapter),
                    self._workload,
                    connection,
                    command.connections,
                    recorder,
                    state,
                    batch_size=command.load_batch,
                )
            elif command.phase is Phase.LOAD:
                first, count = command.load_ranges.get(connection, (0, 0))
                load_records(
                    adapter,
                    self._workload,
                    first,
                    count,
                    recorder,
                    state,
                    batch_size=command.load_batch,
                    connection=connection,
                )
            else:
                again = None
                if command.track_writes:  # faults are scheduled: a lost server is expected
                    again = partial(
                        reconnect,
                        adapter,
                        self._endpoint,
                        self._options,
                        self._table,
                        state,
                        command.deadline_ns,
                    )
                operate = partial(self._operate, i, command, open_loop)
                run_reconnecting(operate, command.operations.get(connection), state, again)
        except Exception as exc:  # reported as the trial's failure
            state.fatal_error = f"{type(exc).__name__}: {exc}"
        finally:
            with self._running_lock:
                self._running -= 1
                if self._running == 0:
                    self._all_done.set()

    def _operate(
        self, i: int, command: PhaseCommand, open_loop: bool, operations: int | None
    ) -> None:
        state, recorder, adapter = self._states[i], self._recorders[i], self._adapters[i]
        stream, deadline = self._phase_streams[i], command.deadline_ns
        if open_loop:
            run_open_loop(
                adapter,
                stream,
                recorder,
                state,
                self._schedules[i],
                start_ns=command.start_ns,
                operations=operations,
                deadline_ns=deadline,
            )
        else:
            run_closed_loop(
                adapter, stream, recorder, state, operations=operations, deadline_ns=deadline
            )

    def _run_split_phase(self, command: PhaseCommand) -> None:
        try:
            run_split_phase_closed_loop(
                self._adapters,
                self._phase_streams,
                self._recorders,
                self._states,
                operations=[command.operations.get(w) for w in self.connections],
                deadline_ns=command.deadline_ns,
                spin_ns=command.spin_ns,
            )
        except Exception as exc:  # reported as the trial's failure
            self._states[0].fatal_error = f"{type(exc).__name__}: {exc}"
        finally:
            with self._running_lock:
                self._running = 0
                self._all_done.set()

    def completed(self) -> int:
        return sum(s.completed for s in self._states)

    def request_stop(self) -> None:
        for state in self._states:
            state.stop_requested = True

    def wait(self, timeout: float) -> PhaseResult | None:
        if self._threads and not self._all_done.wait(timeout):
            return None
        end = time.perf_counter_ns()
        command = self._command
        assert command is not None
        rows = [row for rec in self._recorders for row in rec.rows(end)]
        errors = [s.fatal_error for s in self._states if s.fatal_error]
        return PhaseResult(
            rows=rows,
            cpu_s=_cpu_seconds() - self._cpu_start,
            wall_s=(end - command.start_ns) / 1e9,
            fatal_error=errors[0] if errors else None,
            late=sum(s.late for s in self._schedules) if self._schedules else 0,
            completed=self.completed(),
            writes=[w for r in self._recorders for w in getattr(r, "writes", ())],
        )

    def close(self) -> None:
        for adapter in self._adapters:
            # Closing must not mask the error that ended the trial.
            with contextlib.suppress(Exception):
                adapter.close()
        self._adapters = []


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def collect_stopped(
    groups: Sequence[ClientGroup],
    results: dict[int, PhaseResult],
    *,
    poll_s: float,
    grace_s: float,
) -> None:
    """Stop every group and gather the results they hand over within the grace period.

    Nothing raised here may replace the interrupt: a worker process that died has no
    rows to give, and the trial is recorded as interrupted either way.
    """
    for group in groups:
        with contextlib.suppress(Exception):
            group.request_stop()
    pending = {i for i in range(len(groups)) if i not in results}
    deadline = time.monotonic() + grace_s
    while pending and time.monotonic() < deadline:
        for i in sorted(pending):
            try:
                result = groups[i].wait(poll_s / len(groups))
            except Exception:
                pending.discard(i)
                continue
            if result is not None:
                results[i] = result
                pending.discard(i)
