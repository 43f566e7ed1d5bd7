"""A schema workload's shape: typed entities and the logical operations run on them.

Shared by the workload loader (which validates a file into these models), the data
models of the adapters (which lay the schema out natively and compile each operation
into their driver's calls) and the harness (which generates rows and parameters and
checks answers). Everything here is declarative and engine-neutral; docs/schema-workloads.md
explains each field.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, Final, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

MAX_ENTITY_ROWS: Final = 10**9
MAX_CHILDREN: Final = 1000
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,47}$")]
"""Entity, field and operation names: lower-case identifiers every engine accepts unquoted."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldType(StrEnum):
    INTEGER = "integer"
    DECIMAL = "decimal"
    """Exact, with `scale` digits after the point (a model without an exact decimal type
    stores a double; answers are compared at the field's scale)."""
    TEXT = "text"
    TIMESTAMP = "timestamp"
    """UTC, millisecond precision (Cassandra's and MongoDB's): values are epoch ms."""
    BOOLEAN = "boolean"
    JSON = "json"
    """A nested object of text and integer members."""


class FieldSpec(_Strict):
    """One typed field and how its values are generated."""

    type: FieldType
    min: int | None = None
    """integer, decimal: lowest value (default 0); timestamp: first epoch ms."""
    max: int | None = None
    """integer, decimal: highest value; timestamp: last epoch ms."""
    scale: Annotated[int, Field(ge=0, le=6)] = 2
    """decimal: digits after the point."""
    length: Annotated[int, Field(ge=1, le=1024)] = 12
    """text: characters of a generated value."""
    choices: tuple[str, ...] = ()
    """text: values drawn from this list instead of random letters."""
    references: Identifier | None = None
    """integer: the key of a row of that entity (drawn uniformly from its loaded rows)."""
    sum_of_children: tuple[Identifier, ...] = ()
    """decimal: the sum over the entity's children of the product of these child fields
    (an order's total is the sum of quantity × price over its lines)."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        if self.choices and self.type is not FieldType.TEXT:
            raise ValueError("choices are for text fields")
        if self.references and self.type is not FieldType.INTEGER:
            raise ValueError("references are integer fields")
        if self.sum_of_children and self.type is not FieldType.DECIMAL:
            raise ValueError("sum_of_children is for decimal fields")
        return self


def _field_spec(value: object) -> object:
    # `price: decimal` is shorthand for `price: {type: decimal}`.
    return {"type": value} if isinstance(value, str) else value


class Parent(_Strict):
    """A one-to-many relationship: this entity's rows belong to one row of `entity`."""

    entity: Identifier
    field: Identifier
    """This entity's field holding the parent's key."""
    children: Annotated[tuple[int, int], Field()] = (1, 5)
    """How many children each parent has: drawn uniformly from [min, max]."""

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        low, high = self.children
        if not 0 <= low <= high <= MAX_CHILDREN:
            raise ValueError(f"children must be [min, max] with 0 <= min <= max <= {MAX_CHILDREN}")
        return self


class EntitySpec(_Strict):
    """One kind of record: a table, a collection, a hash family."""

    fields: dict[Identifier, FieldSpec]
    key: tuple[Identifier, ...]
    """The fields that identify a row. A root entity's key is one integer field, numbered
    from 0 as rows are loaded; a child's key is its parent field and a sequence field."""
    rows: Annotated[int, Field(ge=0, le=MAX_ENTITY_ROWS)] = 0
    """Rows loaded for a root entity (children are loaded with their parent)."""
    parent: Parent | None = None
    partition: Identifier | None = None
    """The field that groups rows in a wide-column model (a customer's orders)."""
    ordering: Identifier | None = None
    """The field rows are ordered by inside a partition, and ranges are taken over."""
    indexes: tuple[Identifier, ...] = ()
    """Fields looked up by value (secondary access)."""

    @model_validator(mode="before")
    @classmethod
    def _expand_fields(cls, data: object) -> object:
        if isinstance(data, dict) and isinstance(data.get("fields"), dict):
            fields = {name: _field_spec(spec) for name, spec in data["fields"].items()}
            data = {**data, "fields": fields}
        return data

    @model_validator(mode="after")
    def _names_exist(self) -> Self:
        named = [*self.key, *self.indexes]
        named += [n for n in (self.partition, self.ordering) if n]
        if self.parent:
            named.append(self.parent.field)
        unknown = [n for n in named if n not in self.fields]
        if unknown:
            raise ValueError(f"unknown field {unknown[0]!r} (fields: {', '.join(self.fields)})")
        if self.parent is None and (
            len(self.key) != 1 or self.fields[self.key[0]].type is not FieldType.INTEGER
        ):
            raise ValueError("a root entity's key is one integer field")
        if self.parent is not None:
            if len(self.key) != 2 or self.key[0] != self.parent.field:
                raise ValueError(f"a child entity's key is [{self.parent.field}, <sequence field>]")
            if self.rows:
                raise ValueError("a child entity's rows come from its parent's `children`")
        return self

    @property
    def sequence_field(self) -> str | None:
        """A child's numbering within its parent (1, 2, …); None for a root entity."""
        return self.key[1] if self.parent else None


class Schema(_Strict):
    """Entities by name, in load order (a parent before its children)."""

    entities: dict[Identifier, EntitySpec]

    @model_validator(mode="after")
    def _relations(self) -> Self:
        names = list(self.entities)
        for name, entity in self.entities.items():
            if entity.parent and entity.parent.entity not in self.entities:
                raise ValueError(f"{name}: parent {entity.parent.entity!r} is not an entity")
            if entity.parent and self.entities[entity.parent.entity].parent:
                raise ValueError(f"{name}: only one level of children is supported")
            for fname, spec in entity.fields.items():
                if spec.references and spec.references not in self.entities:
                    raise ValueError(f"{name}.{fname}: references unknown {spec.references!r}")
                if spec.references and names.index(spec.references) > names.index(name):
                    raise ValueError(f"{name}.{fname}: {spec.references!r} must come first")
                if spec.sum_of_children and not self.children_of(name):
                    raise ValueError(f"{name}.{fname}: sum_of_children but no child entity")
        return self

    def children_of(self, entity: str) -> list[str]:
        return [n for n, e in self.entities.items() if e.parent and e.parent.entity == entity]

    def roots(self) -> list[str]:
        return [n for n, e in self.entities.items() if e.parent is None]


# -- logical operations --------------------------------------------------------------


class OperationKind(StrEnum):
    GET = "get"
    """A row by key, with its children when `with_children`."""
    FIND = "find"
    """Rows whose indexed `field` equals a value (ordered by key, up to `limit`)."""
    RANGE = "range"
    """Rows of one partition (when `partition`) whose `field` lies in a window, ordered."""
    AGGREGATE = "aggregate"
    """count/sum/avg/min/max of `field`, optionally grouped, optionally over a window."""
    INSERT = "insert"
    """New rows (with children), `batch` at a time, optionally expiring after `ttl_s`."""
    UPSERT = "upsert"
    UPDATE = "update"
    """Set the `set` fields of a row by key to new values."""
    DELETE = "delete"
    """A row by key, with its children."""
    COMPARE_AND_SET = "compare_and_set"
    """Set `field` to `to` where it equals `expect`; the answer says whether it did."""
    TRANSACTION = "transaction"
    """Insert a parent with its children and decrement a referenced stock by each child's
    quantity, all or nothing; aborts (not an error) when a stock would go negative."""


class Window(_Strict):
    """A window of `span` over an ordered field (timestamp: ms; integer: units)."""

    field: Identifier
    span: Annotated[int, Field(ge=1)]


class GroupBy(_Strict):
    field: Identifier
    bucket: Annotated[int, Field(ge=1)] | None = None
    """Group by `field // bucket * bucket` (a timestamp per hour: 3600000)."""


class Decrement(_Strict):
    """A transaction's stock: `entity.field` decremented by each child's `by` field, the
    row found through the child's reference field `via`."""

    entity: Identifier
    field: Identifier
    by: Identifier
    via: Identifier


class OperationSpec(_Strict):
    """One named logical operation of a schema workload."""

    kind: OperationKind
    entity: Identifier
    share: Annotated[float, Field(ge=0, le=1)]
    """Its share of the operation mix (shares sum to 1)."""
    with_children: bool = False
    field: Identifier | None = None
    """find: the indexed field; aggregate: the aggregated field (not for count);
    compare_and_set: the field compared and set."""
    partition: Identifier | None = None
    """range, aggregate: restrict to one partition (drawn like the field's values)."""
    window: Window | None = None
    order: Literal["asc", "desc"] = "asc"
    limit: Annotated[int, Field(ge=1, le=10_000)] | None = None
    function: Literal["count", "sum", "avg", "min", "max"] | None = None
    group_by: GroupBy | None = None
    set: tuple[Identifier, ...] = ()
    batch: Annotated[int, Field(ge=1, le=10_000)] = 1
    ttl_s: Annotated[int, Field(ge=1)] | None = None
    expect: str | None = None
    to: str | None = None
    decrement: Decrement | None = None
    allow: tuple[Literal["filtering", "client_aggregate"], ...] = ()
    """Costly workarounds the workload accepts where a model has no native way (Cassandra
    ALLOW FILTERING, an aggregate computed by the client); the report labels them."""

    @model_validator(mode="after")
    def _parameters(self) -> Self:
        kind = self.kind
        if kind is OperationKind.FIND and self.field is None:
            raise ValueError("find needs `field`")
        if kind is OperationKind.RANGE and self.window is None:
            raise ValueError("range needs `window`")
        if kind is OperationKind.AGGREGATE:
            if self.function is None:
                raise ValueError("aggregate needs `function`")
            if self.function != "count" and self.field is None:
                raise ValueError(f"aggregate {self.function} needs `field`")
        if kind is OperationKind.UPDATE and not self.set:
            raise ValueError("update needs `set`")
        if kind is OperationKind.COMPARE_AND_SET and (
            self.field is None or self.expect is None or self.to is None
        ):
            raise ValueError("compare_and_set needs `field`, `expect` and `to`")
        if kind is OperationKind.TRANSACTION and self.decrement is None:
            raise ValueError("transaction needs `decrement`")
        return self

    @model_serializer(mode="wrap")
    def _settings_in_use(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # What the workload set, not every unused setting as null (a spec people read).
        data: dict[str, Any] = handler(self)
        return {k: v for k, v in data.items() if v is not None and v not in ([], ())}

    def reads(self) -> bool:
        """Whether it only reads (its answers can be compared across engines)."""
        return self.kind in _READS


_READS: Final = frozenset(
    {OperationKind.GET, OperationKind.FIND, OperationKind.RANGE, OperationKind.AGGREGATE}
)

Parameters = Mapping[str, Any]
"""One operation's parameters (key, value, partition, low/high, rows, row: the table in
`bakeoff.adapters.data_model`)."""

Row = dict[str, object]
"""One answer row: field name to value (int, Decimal, float, str, bool, epoch-ms int for
timestamps, dict for json, list of child rows under a child entity's name)."""
