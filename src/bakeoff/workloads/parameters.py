"""The parameters of a schema workload's operations, drawn per connection and reproducible.

Lookups draw their values from the distributions the data was generated with (a find's
value, a range's window start, a partition), so they hit the data; keys of existing rows
follow the workload's request distribution; new rows take keys from the connection's own
key space above the loaded rows, so connections never insert the same key.
"""

from __future__ import annotations

from typing import Any

from bakeoff.core.schema import OperationKind, OperationSpec, Parameters, Schema
from bakeoff.workloads.generators import connection_rng
from bakeoff.workloads.keys import make_key_chooser
from bakeoff.workloads.model import RequestDistribution, UniformKeys
from bakeoff.workloads.rows import draw_values, rows_for_keys


class ParameterSource:
    """Parameters of one named operation for one connection."""

    def __init__(
        self,
        schema: Schema,
        name: str,
        operation: OperationSpec,
        *,
        seed: int,
        connection: int,
        connections: int,
        distribution: RequestDistribution | None = None,
    ) -> None:
        self.schema = schema
        self.name = name
        self.operation = operation
        self._seed = seed
        self._connection = connection
        self._connections = connections
        self._entity = schema.entities[operation.entity]
        self._rng = connection_rng(seed, connection, f"parameters/{name}")
        self._keys = make_key_chooser(
            distribution or UniformKeys(type="uniform"),
            records=max(self._entity.rows, 1),
            expected_inserts=0,
            rng=connection_rng(seed, connection, f"keys/{name}"),
        )
        self.inserted = 0
        """Rows this connection has generated for insertion (its own key space)."""

    def draw(self, n: int) -> list[Parameters]:
        """The parameters of the next `n` operations."""
        kind = self.operation.kind
        if kind in (OperationKind.INSERT, OperationKind.TRANSACTION):
            return [self._new_rows() for _ in range(n)]
        if kind is OperationKind.UPSERT:
            return [self._upserted_rows() for _ in range(n)]
        if kind is OperationKind.FIND:
            spec = self._entity.fields[self.operation.field or ""]
            return [{"value": v} for v in draw_values(self.schema, spec, self._rng, n)]
        if kind in (OperationKind.RANGE, OperationKind.AGGREGATE):
            return self._windows(n)
        keys = self._existing_keys(n)
        if kind is OperationKind.UPDATE:
            values = {
                field: draw_values(self.schema, self._entity.fields[field], self._rng, n)
                for field in self.operation.set
            }
            return [
                {"key": key, "values": {f: column[i] for f, column in values.items()}}
                for i, key in enumerate(keys)
            ]
        return [{"key": key} for key in keys]

    def _existing_keys(self, n: int) -> list[int]:
        upper = max(self._entity.rows, 1)
        chosen: Any = self._keys.choose(n, upper).tolist()
        return [int(k) for k in chosen]

    def _windows(self, n: int) -> list[Parameters]:
        op, entity = self.operation, self._entity
        columns: dict[str, list[Any]] = {}
        if op.partition:
            columns["partition"] = draw_values(
                self.schema, entity.fields[op.partition], self._rng, n
            )
        if op.window:
            lows = draw_values(self.schema, entity.fields[op.window.field], self._rng, n)
            columns["low"] = lows
            columns["high"] = [low + op.window.span for low in lows]
        return [{name: column[i] for name, column in columns.items()} for i in range(n)]

    def _next_keys(self, count: int) -> list[int]:
        # Connection c owns rows + c + k * connections: no two connections collide.
        base = self._entity.rows + self._connection
        first = self.inserted
        self.inserted += count
        return [base + (first + k) * self._connections for k in range(count)]

    def _new_rows(self) -> Parameters:
        rows = rows_for_keys(
            self.schema, self.operation.entity, self._next_keys(self.operation.batch), self._seed
        )
        if self.operation.kind is OperationKind.TRANSACTION:
            return {"row": rows[0]}
        return {"rows": rows}

    def _upserted_rows(self) -> Parameters:
        keys = self._existing_keys(self.operation.batch)
        # New values for existing keys: the rows of another seed, drawn per operation.
        seed = int(self._rng.integers(0, 2**62))
        return {"rows": rows_for_keys(self.schema, self.operation.entity, keys, seed)}


def verification_parameters(
    schema: Schema, name: str, operation: OperationSpec, *, seed: int, count: int
) -> list[Parameters]:
    """The fixed parameter sets every engine answers in the verification pass."""
    source = ParameterSource(
        schema, name, operation, seed=seed ^ 0x5EED, connection=0, connections=1
    )
    return source.draw(count)
