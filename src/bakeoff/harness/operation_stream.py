"""The operations of one connection, generated a chunk at a time and bound to its adapter.

Every operation is bound the same way, from its entry in `bakeoff.core.operations`: per
operation type, one argument column at a time over that type's positions in the chunk
(keys, values, field choices and scan lengths drawn in bulk with numpy).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any, NamedTuple, Protocol, cast

import numpy as np
import numpy.typing as npt

from bakeoff.adapters.protocol import Adapter
from bakeoff.core.operations import BY_NAME, Argument, OperationDefinition
from bakeoff.workloads.generators import OperationChooser, connection_rng
from bakeoff.workloads.keys import key_names, make_key_chooser
from bakeoff.workloads.lengths import make_length_chooser
from bakeoff.workloads.model import Workload
from bakeoff.workloads.values import ValuePool

CHUNK = 512
"""Operations generated and recorded together at first (small enough that progress is
counted often, large enough that per-chunk work is amortised)."""
GROWN_CHUNK = 2048
"""The closed loops' chunk at most: they double it while a chunk takes under
QUICK_CHUNK_S, which cuts the per-chunk work per operation of a fast engine (and of
the no-op adapter), without coarsening a slow engine's progress. Measured with the
no-op adapter (benchmarks/bench_noop_overhead.py, alternated with the other size): 3 %
less time per operation at 2048 than at 1024, 3 % more at 4096 (a chunk's keys, values
and calls no longer stay in the caches)."""
QUICK_CHUNK_S = 0.01


def next_chunk_size(size: int, first_start_s: float, last_end_s: float) -> int:
    """The closed loops' next chunk size after a whole chunk of `size` operations, from
    the first one's start and the last one's end (seconds)."""
    if size < GROWN_CHUNK and last_end_s - first_start_s < QUICK_CHUNK_S:
        return min(size * 2, GROWN_CHUNK)
    return size


Call = tuple[Callable[..., Any], object]
"""An operation's adapter method and the result of it that means not found (compared
with `is`): one pair, so a loop gets both from one gather per chunk."""


class Chunk(NamedTuple):
    """Operations drawn together: their indexes into `Stream.operations`, and each one's
    call (`Call`) and arguments as parallel lists. A loop walks these with `zip`, which
    reuses its tuple, where a list of (call, arguments) pairs would build and free one
    per operation."""

    op_indexes: npt.NDArray[np.uint8]
    calls: list[Call]
    arguments: list[tuple[Any, ...]]


class Stream(Protocol):
    """What the load generator's loops draw operations from, one connection's worth:
    `OperationStream` (key-value workloads) and `SchemaStream` (schema workloads)."""

    operations: tuple[str, ...]
    chunk: int
    """Operations the loops ask for at a time at first (at most CHUNK; the closed loops
    grow it while chunks are quick); progress is counted per chunk, so slow operations
    want small ones."""

    def next_chunk(self, adapter: Any, n: int, *, split: bool = False) -> Chunk: ...

    def unissue(self, op_indexes: Sequence[int]) -> None: ...


def ints(values: npt.NDArray[Any]) -> list[int]:
    return cast("list[int]", values.tolist())


def connection_key_number(
    index: np.ndarray[Any, Any], records: int, connection: int, connections: int
) -> Any:
    """Map a connection-local key index to the global key number.

    Indexes below `records` are the loaded records, shared by all connections. Above, each
    connection owns the numbers ``records + connection + k * connections`` for its k-th
    insert, so connections never insert the same key and never read a key another
    connection has not yet inserted, without coordinating.
    """
    own = index >= records
    return np.where(own, records + connection + (index - records) * connections, index)


@dataclass
class OperationStream:
    """The operations of one connection, generated a chunk at a time, deterministic per seed."""

    workload: Workload
    connection: int
    connections: int
    expected_operations: int
    inserted: int = 0
    """Records this connection has scheduled for insertion so far (its own key space)."""
    chunk: int = CHUNK
    operations: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        w = self.workload
        mix = w.operations.proportions()
        new_key_share = sum(
            share for name, share in mix.items() if Argument.NEW_KEY in BY_NAME[name].arguments
        )
        expected_inserts = int(self.expected_operations * new_key_share * 2) + 1

        def rng(stream: str) -> np.random.Generator:
            return connection_rng(w.seed, self.connection, stream)

        self._ops = OperationChooser(w.operations, rng("operations"))
        self.operations = self._ops.operations
        self._definitions = tuple(BY_NAME[name] for name in self.operations)
        self._new_key_indexes = tuple(
            k for k, op in enumerate(self._definitions) if Argument.NEW_KEY in op.arguments
        )
        self._layouts = [step_positions(op) if op.steps else None for op in self._definitions]
        self._keys = make_key_chooser(
            w.request_distribution,
            records=w.records,
            expected_inserts=expected_inserts,
            rng=rng("keys"),
        )
        self._scan_lengths = make_length_chooser(w.scan_length, rng("scan-length"))
        self._values = ValuePool(w.fields.length, rng("values"))
        self._field_choice = rng("fields")
        self._field_names = w.fields.names()
        self._bound_calls: npt.NDArray[Any] = np.empty(0, dtype=object)
        self._bound_to: object = None
        self._bound_split = False
        # Shared by the reads of each field (tuples: no adapter can change them).
        self._field_tuples = [(name,) for name in self._field_names]
        # Built here, before any phase is timed (tens of milliseconds at the limit).
        self._key_table = loaded_key_table(
            w.key_prefix, w.insert_order, min(w.records, KEY_TABLE_LIMIT)
        )
        self._arguments: dict[Argument, _ArgumentColumn] = {
            Argument.READ_FIELDS: self._read_fields,
            Argument.WRITE_VALUES: self._write_values,
            Argument.RECORD: self._records,
            Argument.SCAN_LENGTH: self._lengths,
        }

    def next_chunk(self, adapter: Adapter, n: int, *, split: bool = False) -> Chunk:
        """`n` operations: their indexes, the adapter methods and their arguments.

        With `split`, the calls are the adapter's `send_*` halves (SplitPhase), whose
        replies the caller collects with `receive`.

        Built per operation type, one argument column at a time over that type's positions:
        a per-operation if-chain here cost more than the no-op operation it prepares.
        """
        w = self.workload
        op_array = self._ops.choose(n)
        upper = w.records + self.inserted
        chosen = self._keys.choose(n, upper)
        positions = [(op_array == k).nonzero()[0] for k in range(len(self.operations))]
        for k in self._new_key_indexes:
            at_new = positions[k]
            chosen[at_new] = np.arange(upper, upper + at_new.size, dtype=np.int64)
            upper += int(at_new.size)
            self.inserted += int(at_new.size)
        largest = upper - 1
        if self.connections > 1 and self.inserted:  # else every number is its own
            chosen = connection_key_number(chosen, w.records, self.connection, self.connections)
            largest = int(chosen.max()) if n else 0
        # Whether every key is a loaded record's, named by the shared table.
        tabled = largest < self._key_table.size
        # Drawn only to choose among several fields (one field draws nothing from the rng).
        names = self._field_names
        fields = self._field_choice.integers(0, len(names), size=n) if len(names) > 1 else None
        table = w.table
        arguments = np.empty(n, dtype=object)
        columns_of = self._arguments
        for op, layout, where in zip(self._definitions, self._layouts, positions, strict=True):
            if where.size:
                keys = self._key_names(chosen[where], tabled)
                field_choice = None if fields is None else fields[where]
                columns = [
                    keys if kind in _KEYS else columns_of[kind](where.size, field_choice)
                    for kind in op.arguments
                ]
                # Scattered by numpy: a Python loop over the positions cost more.
                arguments[where] = np.fromiter(
                    _argument_rows(table, columns, layout), dtype=object, count=where.size
                )
        calls = self._calls(adapter, split)
        return Chunk(
            op_array,
            cast("list[Call]", calls[op_array].tolist()),
            cast("list[tuple[Any, ...]]", arguments.tolist()),
        )

    def _calls(self, adapter: Adapter, split: bool) -> npt.NDArray[Any]:
        """The `Call` per operation index, bound once per adapter and half."""
        if self._bound_to is not adapter or self._bound_split is not split:
            bind = split_method if split else blocking_method
            calls = np.empty(len(self._definitions), dtype=object)
            for k, op in enumerate(self._definitions):
                calls[k] = (bind(adapter, op), op.not_found_result)  # type: ignore[assignment]
            self._bound_calls, self._bound_to, self._bound_split = calls, adapter, split
        return self._bound_calls

    def _key_names(self, numbers: npt.NDArray[np.int64], tabled: bool) -> list[str]:
        """The keys of `numbers`: the loaded records' from a table shared by the process's
        streams (formatting a key costs more than the no-op operation it is for), the
        rest formatted. `tabled`: every number is in the table."""
        w, table = self.workload, self._key_table
        if tabled:
            return cast("list[str]", table[numbers].tolist())
        known = numbers < table.size
        keys = np.empty(numbers.size, dtype=object)
        keys[known] = table[numbers[known]]
        rest = numbers[~known]
        keys[~known] = key_names(rest, prefix=w.key_prefix, insert_order=w.insert_order)
        return cast("list[str]", keys.tolist())

    def _read_fields(
        self, count: int, field_indexes: npt.NDArray[Any] | None
    ) -> list[tuple[str, ...] | None]:
        if self.workload.read_all_fields:
            return [None] * count
        if field_indexes is None:
            return [self._field_tuples[0]] * count
        return list(map(self._field_tuples.__getitem__, ints(field_indexes)))

    def _write_values(
        self, count: int, field_indexes: npt.NDArray[Any] | None
    ) -> list[dict[str, str]]:
        if self.workload.write_all_fields:
            return self._records(count, field_indexes)
        names = self._field_names
        if field_indexes is None:
            return self._values.value_maps(names[0], count)
        payloads = self._values.values(count)
        return [{names[f]: v} for f, v in zip(ints(field_indexes), payloads, strict=True)]

    def _records(self, count: int, field_indexes: npt.NDArray[Any] | None) -> list[dict[str, str]]:
        pool, names = self._values, self._field_names
        return [pool.record(names) for _ in range(count)]

    def _lengths(self, count: int, field_indexes: npt.NDArray[Any] | None) -> list[int]:
        return ints(self._scan_lengths.choose(count))

    def unissue(self, op_indexes: Sequence[int]) -> None:
        """Give back the keys of generated inserts that were never issued (the phase ended
        mid-chunk), so later phases do not read keys that were never written."""
        new_keys = self._new_key_indexes
        self.inserted -= sum(1 for i in op_indexes if i in new_keys)


KEY_TABLE_LIMIT = 1 << 18
"""Keys kept per table of key names: about 20 MB for YCSB's key form."""


@functools.lru_cache(maxsize=2)
def loaded_key_table(prefix: str, insert_order: str, records: int) -> npt.NDArray[Any]:
    """The names of keys 0 .. records-1, built once per process (an object array)."""
    numbers = np.arange(records, dtype=np.int64)
    names = key_names(numbers, prefix=prefix, insert_order=insert_order)  # type: ignore[arg-type]
    table = np.empty(records, dtype=object)
    table[:] = names
    return table


class _ArgumentColumn(Protocol):
    """One argument other than the key for each of `count` operations of one type, given
    their field choices (None: the workload has one field)."""

    def __call__(self, count: int, field_indexes: npt.NDArray[Any] | None) -> Sequence[Any]: ...


_KEYS = (Argument.KEY, Argument.NEW_KEY)
"""The arguments that are the operation's key (named from the drawn numbers)."""


def _argument_rows(
    table: str, columns: list[Sequence[Any]], steps: list[list[int]] | None
) -> Iterator[tuple[Any, ...]]:
    """Each operation's call arguments from the argument columns: (table, *arguments), or
    for a composite one such tuple per step."""
    if steps is None:
        return zip(repeat(table), *columns, strict=False)
    per_step = [zip(repeat(table), *(columns[p] for p in picks), strict=False) for picks in steps]
    return zip(*per_step, strict=True)


def step_positions(op: OperationDefinition) -> list[list[int]]:
    """For a composite: the positions in `op.arguments` of each step's arguments."""
    return [[op.arguments.index(kind) for kind in BY_NAME[name].arguments] for name in op.steps]


def blocking_method(adapter: Adapter, op: OperationDefinition) -> Callable[..., Any]:
    """The adapter's call for `op`.

    A composite's call takes one argument tuple per step (the stream binds them so), runs
    the steps in order and returns the first one's result, or its own not-found result as
    soon as a step finds nothing.
    """
    if not op.steps:
        return cast("Callable[..., Any]", getattr(adapter, op.method))
    steps = [
        (getattr(adapter, BY_NAME[name].method), BY_NAME[name].not_found_result)
        for name in op.steps
    ]
    if len(steps) == 2:
        composite = _two_steps(*steps, not_found=op.not_found_result)
    else:
        composite = _steps(steps, not_found=op.not_found_result)
    composite.__name__ = op.name
    return composite


_Step = tuple[Callable[..., Any], object]
"""A composite's step: the adapter method, and its result that means not found."""


def _two_steps(first: _Step, second: _Step, *, not_found: object) -> Callable[..., Any]:
    # The usual shape (read then update) without a loop: it runs per operation.
    (first_method, first_missing), (second_method, second_missing) = first, second

    def composite(first_args: tuple[Any, ...], second_args: tuple[Any, ...]) -> object:
        result = first_method(*first_args)
        if result is first_missing or second_method(*second_args) is second_missing:
            return not_found
        return result

    return composite


def _steps(steps: list[_Step], *, not_found: object) -> Callable[..., Any]:
    def composite(*step_args: tuple[Any, ...]) -> object:
        result: object = None
        for n, ((method, missing), args) in enumerate(zip(steps, step_args, strict=True)):
            outcome = method(*args)
            if outcome is missing:
                return not_found
            if n == 0:
                result = outcome
        return result

    return composite


def split_method(adapter: Adapter, op: OperationDefinition) -> Callable[..., Any]:
    """The adapter's request half for `op` (SplitPhase)."""
    if op.split_method is None:
        # The runner runs workloads with such operations on blocking connections.
        raise ValueError(f"operation {op.name!r} has no split-phase request half")
    return cast("Callable[..., Any]", getattr(adapter, op.split_method))
