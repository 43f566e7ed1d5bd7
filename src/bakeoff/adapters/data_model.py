"""The contract of a data model: how one driver family lays a schema workload out natively.

A schema workload (typed entities and named logical operations, `bakeoff.core.schema`)
runs on an engine through one of its adapter family's data models: normalised tables or
a JSONB document column on SQL engines, embedded or referenced documents on MongoDB, a
query table per access pattern on Cassandra, hashes with sorted sets on Redis. The model
is chosen per engine (`--model ENGINE=NAME`), each adapter family has a default, and the
model's name and DDL are recorded with the results.

As with `Adapter`, one instance is one connection; the harness times, counts and retries
around the callables `prepare` returns, and the model never does. What a model can do is
declared before a run (`plan`), never discovered in the middle of one.

Parameters and answers of each operation kind (`OperationKind`), as the harness passes and
compares them:

========== =========================================== ==========================================
kind       parameters                                  answer
========== =========================================== ==========================================
get        key                                         the row (children as lists under each
                                                       child entity's name when with_children,
                                                       ordered by sequence), or None
find       value                                       rows whose `field` equals it, ordered by
                                                       key, at most `limit`
range      partition (when `partition`), low, high     rows with low <= window.field < high,
                                                       ordered by that field (`order`), ties by
                                                       key ascending, at most `limit`
aggregate  partition, low, high (when set)             without group_by: the value (None over no
                                                       rows); with: [{"group", "value"}] ordered
                                                       by group, or with `limit` by value
                                                       (`order`), ties by group, cut to limit
insert     rows (each with its children)               None
upsert     rows                                        None
update     key, values                                 None
delete     key                                         None
compare_   key                                         whether the row was found with
and_set                                                `field` == expect (and set to `to`)
transaction row (with its children)                    True when committed, False when a stock
                                                       would have gone negative (nothing written)
========== =========================================== ==========================================

Rows hold only the entity's fields (a model's own bookkeeping never shows); timestamps
are epoch milliseconds, decimals `Decimal` or float, json members a dict; a field that is
absent and a field that is None are the same answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol, runtime_checkable

from bakeoff.core.endpoint import Endpoint
from bakeoff.core.query_plans import QueryPlan
from bakeoff.core.schema import OperationSpec, Parameters, Row, Schema

Prepared = Callable[[Parameters], object]
"""A compiled operation: called with one parameter set, returns its answer."""


@dataclass(frozen=True)
class OperationPlan:
    """How a model runs one operation, decided before the run."""

    workaround: str | None = None
    """A costly way the workload must allow (`OperationSpec.allow`): "filtering" or
    "client_aggregate"; None when the model runs it natively."""
    note: str = ""
    """What the report says about it (e.g. "ALLOW FILTERING over the orders table")."""


class UnsupportedOperationError(ValueError):
    """The model cannot run the operation at all; the message says why."""


@runtime_checkable
class DataModel(Protocol):
    """One data model of one adapter family. Construct with no arguments, then `connect`."""

    name: ClassVar[str]
    """The model's name in `--model ENGINE=NAME` and results ("normalised", "embedded")."""
    adapters: ClassVar[frozenset[str]]
    """The adapters (entry-point names of ``bakeoff.adapters``) whose engines it serves."""
    default: ClassVar[bool]
    """Whether it is its adapters' model when none is chosen."""
    description: ClassVar[str]
    """One sentence for the report's methodology."""

    @classmethod
    def plan(cls, schema: Schema, name: str, operation: OperationSpec) -> OperationPlan:
        """How it runs `operation`; raises UnsupportedOperationError when it cannot."""

    @classmethod
    def layout(cls, schema: Schema) -> list[str]:
        """The DDL, indexes or key layout it creates for `schema`, as statements or lines a
        reader can check (recorded in the manifest and the report's methodology)."""

    def connect(self, endpoint: Endpoint, options: Mapping[str, str]) -> None: ...

    def setup(self, schema: Schema) -> None:
        """Create what `layout` describes if it does not exist. Idempotent; every
        connection calls it before operating (and may prepare per-connection state)."""

    def teardown(self, schema: Schema) -> None:
        """Drop everything it created. Idempotent."""

    def load(self, entity: str, rows: Sequence[Row]) -> None:
        """Store root rows of `entity`, each carrying its children as lists under each
        child entity's name (the load phase and batched inserts call it)."""

    def prepare(self, name: str, operation: OperationSpec) -> Prepared:
        """The callable that runs `operation` (named `name` in the workload)."""

    def dump(self, entity: str) -> list[Row]:
        """Every row of `entity` (children as their own entity), for invariant checks."""

    def close(self) -> None:
        """Release the connection. Safe to call twice."""


@runtime_checkable
class ExplainOperations(Protocol):
    """A data model that can explain its read operations (docs/query-plans.md): the
    plans of the statements one call with `parameters` sends, named after the operation
    ("find_orders", "find_orders#2" for its second statement). Off the measured path."""

    def explain(
        self, name: str, operation: OperationSpec, parameters: Parameters
    ) -> list[QueryPlan]: ...
