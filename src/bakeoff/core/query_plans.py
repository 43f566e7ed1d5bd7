"""What a query plan is, engine-neutral: the shape explained, its access path, the rows
the engine expected and found, and the engine's own plan kept whole.

An adapter declaring `Capability.EXPLAIN` turns a `QueryShape` (one kind of statement the
workload sends, with a sample key) into a `QueryPlan`; the harness explains each shape at
the end of the load and at the end of the run, off the measured path
(docs/query-plans.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class AccessPath(StrEnum):
    """How the engine reaches the rows of one shape."""

    INDEX_LOOKUP = "index lookup"
    """An index (a B-tree, an ART) searched for one key."""
    INDEX_RANGE = "index range"
    """An index walked from a start key (a range or ordered scan, a token range)."""
    FULL_SCAN = "full scan"
    """Every row of the table (or of a whole index) read, and filtered."""
    KEY_LOOKUP = "key lookup"
    """The storage is addressed by the key itself (Cassandra's partition key, SQLite's
    rowid): no separate index."""
    UNKNOWN = "unknown"
    """The plan does not say (an insert reads nothing; a write not explained)."""


class Moment(StrEnum):
    """When a shape was explained."""

    AFTER_LOAD = "after-load"
    AFTER_RUN = "after-run"


@dataclass(frozen=True)
class QueryShape:
    """One kind of statement a workload sends, with the arguments to explain it with."""

    name: str
    """The adapter method ("read", "scan", ...) or the schema operation ("get_order")."""
    operations: tuple[str, ...]
    """The workload's operations that send it ("read", "read_modify_write")."""
    key: str
    """A key the load stored (a new one for an insert)."""
    writes: bool
    """Explaining it must not execute it (no ANALYZE, no trace)."""
    values: Mapping[str, str] = field(default_factory=dict)
    """Field values for a write."""
    count: int = 1
    """Records a scan asks for."""


@dataclass(frozen=True)
class QueryPlan:
    """One shape's plan on one engine, summarised, with the engine's own text kept."""

    shape: str
    statement: str
    """What was explained: SQL, CQL, or the command document as JSON."""
    access_path: AccessPath
    detail: str
    """The engine's own words for the access ("Index Scan", "const", "COLLSCAN")."""
    index: str | None = None
    estimated_rows: float | None = None
    actual_rows: float | None = None
    """Rows the access produced, measured (ANALYZE, executionStats, a trace); None when
    the plan was only estimated."""
    analyzed: bool = False
    """The statement was executed to measure the plan (reads only)."""
    raw: str = ""
    """The engine's plan as it answered: JSON or text."""
    note: str | None = None
    moment: str = ""
    """A `Moment`, set by the harness."""

    @property
    def full_scan(self) -> bool:
        return self.access_path is AccessPath.FULL_SCAN

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "access_path": self.access_path.value}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> QueryPlan:
        known = {name for name in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        values["access_path"] = AccessPath(values.get("access_path", AccessPath.UNKNOWN))
        return cls(**values)
