"""Optional abilities an adapter declares up front; workloads say which they need."""

from __future__ import annotations

from enum import StrEnum


class Capability(StrEnum):
    """Optional abilities an adapter declares up front (never discovered mid-run)."""

    SCAN = "scan"
    ORDERED_SCAN = "ordered-scan"
    """`scan` returns records in ascending key order starting at the start key."""
    BATCH_INSERT = "batch-insert"
    """The adapter implements `BatchInsert.insert_batch` (used by the load phase)."""
    DELETE = "delete"
    EXISTS = "exists"
    """The adapter implements `KeyExists.exists` (and `send_exists` with SPLIT_PHASE)."""
    COUNT = "count"
    """The adapter implements `RecordCount.count_records` (the verify phase uses it)."""
    SPLIT_PHASE = "split-phase"
    """The adapter implements `SplitPhase`: one thread can keep many connections busy."""
    EXPLAIN = "explain"
    """The adapter implements `ExplainQueries.explain`: the engine's plan of a query shape
    (docs/query-plans.md)."""
    SETTLE = "settle"
    """The adapter implements `Settles.settle`: the engine's own maintenance of a freshly
    loaded table, run once between the load and the measurement (docs/load-generator.md)."""
    TRANSACTIONS = "transactions"
    SECONDARY_INDEX = "secondary-index"
