"""Every write a connection issues while faults run, with what became of it.

Only on when a trial schedules faults: the connection's stream and recorder are wrapped
(`TrackingStream`, `TrackingRecorder`), so a trial without faults runs the plain ones.
The work is per chunk, off the timed calls: the stream stamps each written value with a
version (`<connection>.<sequence>~`, replacing the value's first characters, so its
length stays), and the recorder, handed the chunk's outcomes, notes each write as
acknowledged (it succeeded) or indeterminate (it failed or timed out: it may or may
not have been applied). The notes go back with the phase's result, one list per
connection, never per operation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, NamedTuple

import numpy as np
import numpy.typing as npt

from bakeoff.harness.operation_stream import Chunk, Stream, ints
from bakeoff.harness.recorder import Outcome, Recorder

DELETED = "-"
"""The version of a delete: the key is meant to be absent afterwards."""
VERSION_END = "~"
"""Ends a version stamp; payloads are letters and digits only, so it never occurs in one."""


class Write(NamedTuple):
    key: str
    version: str
    fields: tuple[str, ...]
    start_ns: int
    end_ns: int
    acknowledged: bool
    """False: indeterminate (an error or a timeout)."""


def stamped(value: str, version: str) -> str:
    stamp = version + VERSION_END
    return stamp + value[len(stamp) :]


def version_of(value: object) -> str | None:
    """The version stamped in a value read back (None: an unversioned value)."""
    if not isinstance(value, str) or VERSION_END not in value:
        return None
    return value.split(VERSION_END, 1)[0]


def _replaced(args: tuple[Any, ...], old: object, new: object) -> tuple[Any, ...]:
    """`args` with the object `old` replaced by `new`, in a composite's steps too."""
    return tuple(
        new if arg is old else _replaced(arg, old, new) if isinstance(arg, tuple) else arg
        for arg in args
    )


def _written(args: tuple[Any, ...]) -> tuple[str, dict[str, str]] | None:
    """(key, values) of a call that writes; a composite's last writing step."""
    found = None
    if len(args) >= 3 and isinstance(args[1], str) and isinstance(args[2], dict):
        found = (args[1], args[2])
    for step in args:
        if isinstance(step, tuple):
            found = _written(step) or found
    return found


class TrackingStream:
    """`Stream` whose writes carry a version; remembers the last chunk's writes."""

    def __init__(self, inner: Stream, connection: int) -> None:
        self._inner = inner
        self.operations = inner.operations
        self.chunk = inner.chunk
        self._prefix = f"{connection:x}."
        self._sequence = 0
        self.pending: list[tuple[int, str, str, tuple[str, ...]]] = []
        """(position in the chunk, key, version, fields) of the last chunk's writes."""

    def next_chunk(self, adapter: Any, n: int, *, split: bool = False) -> Chunk:
        chunk = self._inner.next_chunk(adapter, n, split=split)
        arguments = chunk.arguments
        self.pending = []
        for position, (op, args) in enumerate(zip(ints(chunk.op_indexes), arguments, strict=True)):
            if self.operations[op] == "delete":
                self.pending.append((position, str(args[1]), DELETED, ()))
                continue
            write = _written(args)
            if write is None:
                continue
            key, values = write
            self._sequence += 1
            version = f"{self._prefix}{self._sequence:x}"
            # A stamped copy: the stream may hand the same values to other writes.
            stamped_values = {name: stamped(value, version) for name, value in values.items()}
            arguments[position] = _replaced(args, values, stamped_values)
            self.pending.append((position, key, version, tuple(values)))
        return chunk

    def unissue(self, op_indexes: Sequence[int]) -> None:
        self._inner.unissue(op_indexes)


class TrackingRecorder(Recorder):
    """A `Recorder` that also notes what became of its stream's writes."""

    stream: TrackingStream | None = None
    writes: list[Write]
    per_chunk: ClassVar[bool] = True  # the stream's pending writes are the last chunk's

    def add_chunk(
        self,
        op_indexes: npt.NDArray[np.uint8],
        ends: npt.NDArray[np.int64],
        latencies: npt.NDArray[np.int64],
        outcomes: npt.NDArray[np.uint8],
        responses: npt.NDArray[np.int64] | None = None,
    ) -> None:
        super().add_chunk(op_indexes, ends, latencies, outcomes, responses)
        if self.stream is None:
            return
        done = len(ends)
        ok, not_found = int(Outcome.OK), int(Outcome.NOT_FOUND)
        for position, key, version, fields in self.stream.pending:
            if position >= done:
                break  # never issued: the phase ended first
            outcome = int(outcomes[position])
            if outcome == not_found:
                continue  # nothing was written (an update of a missing key)
            end = int(ends[position])
            acknowledged = outcome == ok
            self.writes.append(
                Write(key, version, fields, end - int(latencies[position]), end, acknowledged)
            )
        self.stream.pending = []


def tracked(
    stream: Stream, recorder: TrackingRecorder, connection: int
) -> tuple[TrackingStream, TrackingRecorder]:
    tracking = TrackingStream(stream, connection)
    recorder.stream = tracking
    recorder.writes = []
    return tracking, recorder
