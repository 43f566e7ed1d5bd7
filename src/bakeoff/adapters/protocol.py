"""The adapter contract: YCSB's five operations, a lifecycle, and declared capabilities.

Each entry of `bakeoff.core.operations` names the method here that it calls (and its
`send_*` half on SplitPhase); an operation that needs a capability is an optional
Protocol of its own, which only adapters declaring that capability implement.

An adapter translates operations into one driver's calls. It never times, counts or
retries: the harness does all of that around each call. Results are fully materialised
before a call returns, so the timed call includes the transfer of the data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar, Protocol, runtime_checkable

from bakeoff.core.capabilities import Capability
from bakeoff.core.endpoint import Endpoint
from bakeoff.core.query_plans import QueryPlan, QueryShape
from bakeoff.core.records import Record, TableSpec

__all__ = [
    "PENDING",
    "Adapter",
    "BatchInsert",
    "Capability",
    "Endpoint",
    "ExplainQueries",
    "KeyExists",
    "Record",
    "RecordCount",
    "Settles",
    "SplitKeyExists",
    "SplitPhase",
    "TableSpec",
]
"""Capability, Endpoint, Record and TableSpec live in `bakeoff.core`; they are named here
too because an adapter author needs them with the contract."""


@runtime_checkable
class Adapter(Protocol):
    """What every adapter implements. Construct with no arguments, then `connect`."""

    name: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]]

    def connect(self, endpoint: Endpoint, options: Mapping[str, str]) -> None:
        """Open a connection. Called once per connection: each has its own adapter."""

    def setup(self, table: TableSpec) -> None:
        """Create the table if it does not exist. Idempotent.

        Every connection calls it before operating on the table (the runner does), so an
        adapter may prepare per-connection state here, such as compiled statements.
        """

    def teardown(self, table: TableSpec) -> None:
        """Drop the table if it exists. Idempotent."""

    def close(self) -> None:
        """Release the connection. Safe to call twice."""

    def read(self, table: str, key: str, fields: Sequence[str] | None) -> Record | None:
        """The record's fields (all when `fields` is None), or None when the key is absent."""

    def insert(self, table: str, key: str, values: Mapping[str, str]) -> None:
        """Store a new record."""

    def update(self, table: str, key: str, values: Mapping[str, str]) -> None:
        """Overwrite the given fields of an existing record."""

    def delete(self, table: str, key: str) -> None:
        """Remove the record (no error when it is absent)."""

    def scan(
        self, table: str, start_key: str, count: int, fields: Sequence[str] | None
    ) -> list[tuple[str, Record]]:
        """Up to `count` records with key >= `start_key` (in key order with ORDERED_SCAN)."""


@runtime_checkable
class BatchInsert(Protocol):
    """Capability BATCH_INSERT: many records in one round trip (the load phase uses it)."""

    def insert_batch(self, table: str, rows: Sequence[tuple[str, Mapping[str, str]]]) -> None:
        """Store all rows; atomically where the engine allows."""


@runtime_checkable
class KeyExists(Protocol):
    """Capability EXISTS: whether a record is there, without reading its fields."""

    def exists(self, table: str, key: str) -> bool:
        """True when the key holds a record (False counts as not found)."""


@runtime_checkable
class RecordCount(Protocol):
    """Capability COUNT: how many records the table holds (the verify phase uses it)."""

    def count_records(self, table: str) -> int:
        """Exact number of records in the table."""


@runtime_checkable
class ExplainQueries(Protocol):
    """Capability EXPLAIN: the engine's plan of one query shape, summarised.

    Called off the measured path on the runner's own connection. A read may be executed
    to measure its plan (EXPLAIN ANALYZE, executionStats, a trace); a write never is, so
    explaining changes no data.
    """

    def explain(self, table: str, shape: QueryShape) -> QueryPlan:
        """The plan of `shape` on `table` (access path UNKNOWN when the engine cannot say)."""


@runtime_checkable
class Settles(Protocol):
    """Capability SETTLE: the engine's own maintenance of a table just bulk-loaded.

    A table read right after its load is not in the state a long-running system's is:
    PostgreSQL's first read of each row sets its hint bits and dirties its page, the
    planner has no statistics yet, and autovacuum wakes up in the middle of the
    measurement. `pgbench -i` runs VACUUM after its load for that reason. The runner
    calls this once after the load phase, on its own connection, outside any timed phase
    (harness/settle.py); it is never called on data reused from an earlier trial.
    """

    def settle(self, table: TableSpec) -> str:
        """Run the engine's documented statements for a table after a bulk load (with the
        table's name quoted by the engine's dialect); what was run, in a few words, for
        the trial's manifest."""


PENDING: object = object()
"""What `SplitPhase.receive` returns while the operation in flight is not finished."""


@runtime_checkable
class SplitPhase(Protocol):
    """Capability SPLIT_PHASE: each operation in two halves, request and reply.

    A closed loop of many connections then runs in one thread that waits on all their
    sockets at once (as redis-benchmark and pgbench do), instead of one blocked thread per
    connection: a wake-up serves every reply that has arrived, and no interpreter lock
    changes hands between connections. `send_<op>` writes the request and returns without
    waiting; when `fileno()` is readable, `receive()` reads the reply and returns what the
    blocking operation would have returned (or raises its error), or `PENDING` when the
    operation needs more (the rest of a reply, or a further request it has just sent).
    One operation is in flight per adapter at a time.
    """

    def fileno(self) -> int:
        """The connection's socket."""

    def send_read(self, table: str, key: str, fields: Sequence[str] | None) -> None: ...

    def send_insert(self, table: str, key: str, values: Mapping[str, str]) -> None: ...

    def send_update(self, table: str, key: str, values: Mapping[str, str]) -> None: ...

    def send_delete(self, table: str, key: str) -> None: ...

    def send_scan(
        self, table: str, start_key: str, count: int, fields: Sequence[str] | None
    ) -> None: ...

    def receive(self) -> object:
        """The result of the operation in flight, or `PENDING`."""


@runtime_checkable
class SplitKeyExists(Protocol):
    """Capabilities SPLIT_PHASE and EXISTS: the request half of `KeyExists.exists`."""

    def send_exists(self, table: str, key: str) -> None: ...
