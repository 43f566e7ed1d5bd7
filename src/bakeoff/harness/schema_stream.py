"""A schema workload's operations for one connection, and its load phase.

`SchemaStream` answers the load generator as `OperationStream` does (`next_chunk`,
`unissue`, `operations`), so the closed and open loops run either unchanged: each call
is a data model's prepared operation and one parameter set.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from bakeoff.adapters.data_model import DataModel
from bakeoff.core.operations import ALWAYS_FOUND
from bakeoff.core.schema import OperationKind
from bakeoff.harness.loadgen import ConnectionState, split_evenly, timed_call
from bakeoff.harness.operation_stream import Call, Chunk, ints
from bakeoff.harness.recorder import Recorder
from bakeoff.workloads.generators import OperationChooser, connection_rng
from bakeoff.workloads.logical import LogicalMix
from bakeoff.workloads.model import Workload
from bakeoff.workloads.parameters import ParameterSource
from bakeoff.workloads.rows import rows_for_keys

LOAD_OPERATION = "load"
"""The operation name of the load phase's timed calls (one batch of root rows each)."""


class SchemaStream:
    """The logical operations of one connection, deterministic per seed."""

    chunk = 16
    """A logical operation takes milliseconds where a key-value one takes microseconds:
    small chunks keep the progress display moving and cost little."""

    def __init__(
        self, workload: Workload, connection: int, connections: int, expected_operations: int
    ) -> None:
        mix = workload.operations
        assert isinstance(mix, LogicalMix), "a schema workload has a logical mix"
        self._schema = workload.data_schema()
        self._ops = OperationChooser(mix, connection_rng(workload.seed, connection, "operations"))
        self.operations: tuple[str, ...] = self._ops.operations
        specs = dict(mix.items())
        self._specs = [specs[name] for name in self.operations]
        self._sources = [
            ParameterSource(
                self._schema,
                name,
                specs[name],
                seed=workload.seed,
                connection=connection,
                connections=connections,
                distribution=workload.request_distribution,
            )
            for name in self.operations
        ]
        self._calls: list[Call] = []
        self._prepared_for: object = None

    def _bound(self, model: DataModel) -> list[Call]:
        # Compiled once per connection: statements are prepared on the model's connection.
        if self._prepared_for is not model:
            # A get that finds nothing answers None; no other answer means not found.
            self._calls = [
                (
                    model.prepare(name, spec),
                    None if spec.kind is OperationKind.GET else ALWAYS_FOUND,
                )
                for name, spec in zip(self.operations, self._specs, strict=True)
            ]
            self._prepared_for = model
        return self._calls

    def next_chunk(self, adapter: Any, n: int, *, split: bool = False) -> Chunk:
        """`n` operations (`Chunk`); logical operations have no
        split-phase form, so `split` is never asked for (`LogicalMix.all_split_phase`)."""
        calls = self._bound(adapter)
        op_array = self._ops.choose(n)
        op_indexes = ints(op_array)
        counts = np.bincount(op_array, minlength=len(self.operations))
        drawn = [
            iter(source.draw(int(c))) if c else iter(())
            for source, c in zip(self._sources, counts, strict=True)
        ]
        return Chunk(
            op_array,
            [calls[k] for k in op_indexes],
            [(next(drawn[k]),) for k in op_indexes],
        )

    def unissue(self, op_indexes: Sequence[int]) -> None:
        """Nothing to give back: new keys left unused are gaps no operation reads."""


def load_rows(
    model: DataModel,
    workload: Workload,
    connection: int,
    connections: int,
    recorder: Recorder,
    state: ConnectionState,
    *,
    batch_size: int,
) -> None:
    """Load this connection's share of every root entity (with children), `batch_size`
    root rows per timed call, recorded as the operation `load`."""
    schema = workload.data_schema()
    clock = time.perf_counter_ns
    for entity in schema.roots():
        rows = schema.entities[entity].rows
        shares = split_evenly(rows, connections)
        first = sum(shares[:connection])
        for offset in range(first, first + shares[connection], batch_size):
            if state.stop_requested or state.fatal_error is not None:
                return
            keys = range(offset, min(offset + batch_size, first + shares[connection]))
            batch = rows_for_keys(schema, entity, keys, workload.seed)
            end, took, outcome = timed_call(clock, state, model.load, entity, batch)
            recorder.add_chunk(
                np.zeros(1, dtype=np.uint8),
                np.array([end], dtype=np.int64),
                np.array([took], dtype=np.int64),
                np.array([outcome], dtype=np.uint8),
            )
            state.completed += len(batch)
