"""The adapter contract: YCSB's five operations, a lifecycle, and declared capabilities.

An adapter translates operations into one driver's calls. It never times, counts or
retries: the harness does all of that around each call. Results are fully materialised
before a call returns, so the timed call includes the transfer of the data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar, Protocol, runtime_checkable

Record = dict[str, str]
"""Field name to value. Values are text (YCSB fields are ASCII payloads)."""


class Capability(StrEnum):
    """Optional abilities an adapter declares up front (never discovered mid-run)."""

    SCAN = "scan"
    ORDERED_SCAN = "ordered-scan"
    """`scan` returns records in ascending key order starting at the start key."""
    BATCH_INSERT = "batch-insert"
    """The adapter implements `BatchInsert.insert_batch` (used by the load phase)."""
    DELETE = "delete"
    COUNT = "count"
    """The adapter implements `RecordCount.count_records` (the verify phase uses it)."""
    SPLIT_PHASE = "split-phase"
    """The adapter implements `SplitPhase`: one thread can keep many connections busy."""
    TRANSACTIONS = "transactions"
    SECONDARY_INDEX = "secondary-index"


@dataclass(frozen=True)
class Endpoint:
    """Where an engine answers, as a provisioner hands it to an adapter.

    `url` may carry credentials: it is never written to logs, manifests or reports;
    `display_url` (credentials removed) is.
    """

    engine: str
    url: str
    display_url: str
    version: str = "unknown"
    settings: Mapping[str, str] = field(default_factory=dict)
    """Engine settings in effect (knobs, durability), recorded in the manifest."""
    provenance: Mapping[str, str] = field(default_factory=dict)
    """How the engine was provided: image and digest, limits, start-to-ready time, ..."""


@dataclass(frozen=True)
class TableSpec:
    """The YCSB-style table a workload uses: a text key and `field_count` text fields."""

    name: str
    field_names: tuple[str, ...]
    max_field_length: int
    key_length: int = 64


@runtime_checkable
class Adapter(Protocol):
    """What every adapter implements. Construct with no arguments, then `connect`."""

    name: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]]

    def connect(self, endpoint: Endpoint, options: Mapping[str, str]) -> None:
        """Open a connection. Called once per worker; each worker has its own adapter."""

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
class RecordCount(Protocol):
    """Capability COUNT: how many records the table holds (the verify phase uses it)."""

    def count_records(self, table: str) -> int:
        """Exact number of records in the table."""


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
