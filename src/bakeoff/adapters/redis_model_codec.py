"""How the Redis `hashes` model stores one entity: value encoding, key names, structures.

Encoding (hash values are text): integers as decimal digits; decimals as text at the
field's scale (``12.50``); timestamps as epoch milliseconds; booleans ``1``/``0``; json as
compact JSON text with sorted keys; text as is. A None field is absent from the hash.
Pure: no connection, unit-tested without a server.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, cast

from bakeoff.core.schema import EntitySpec, FieldSpec, FieldType, Row, Schema

SEQUENCE_SPAN: Final = 1024
"""A child's key score is parent key × SEQUENCE_SPAN + sequence (sequences are at most
MAX_CHILDREN = 1000), so scores order children as their keys (parent, sequence) do."""
NUMERIC: Final = frozenset({FieldType.INTEGER, FieldType.DECIMAL, FieldType.TIMESTAMP})
"""Types whose text Redis takes as a sorted-set score."""


def encode(spec: FieldSpec, value: object) -> str:
    """`value` of a field as the text stored in the hash (and in index key names)."""
    match spec.type:
        case FieldType.DECIMAL:
            number = value if isinstance(value, Decimal) else Decimal(str(value))
            return format(number.quantize(Decimal(1).scaleb(-spec.scale)), "f")
        case FieldType.BOOLEAN:
            return "1" if value else "0"
        case FieldType.JSON:
            return json.dumps(value, sort_keys=True, separators=(",", ":"))
        case FieldType.INTEGER | FieldType.TIMESTAMP:
            return str(as_int(value))
    return str(value)


def parser(spec: FieldSpec) -> Callable[[str], object]:
    """The function turning a stored text back into a value of the field's type."""
    match spec.type:
        case FieldType.INTEGER | FieldType.TIMESTAMP:
            return int
        case FieldType.DECIMAL:
            return Decimal
        case FieldType.BOOLEAN:
            return "1".__eq__
        case FieldType.JSON:
            return json.loads
    return str


def decode(spec: FieldSpec, text: str | None) -> object:
    return None if text is None else parser(spec)(text)


def as_int(value: object) -> int:
    """A key or integer value as given (int, or a numpy or Decimal integer)."""
    return int(cast("int", value))


def parse_literal(spec: FieldSpec, text: str) -> object:
    """A compare_and_set's `expect` or `to` (text in the workload) as a typed value."""
    if spec.type is FieldType.BOOLEAN:
        return text.strip().lower() in {"1", "true", "yes"}
    if spec.type is FieldType.JSON:
        return json.loads(text)
    return decode(spec, text)


@dataclass(frozen=True)
class EntityLayout:
    """One entity's keys and the structure the scripts read (`redis_model_scripts`)."""

    name: str
    spec: EntitySpec
    prefix: str
    ordering: str | None
    """The ordering field when numeric (its values are the sorted sets' scores)."""
    groups: tuple[str, ...]
    """Reference fields (not keys): per group, the rows and the totals are maintained."""
    totals: tuple[str, ...]
    """Integer fields neither key nor reference, summed per group as rows are written."""
    parsers: Mapping[str, Callable[[str], object]]
    """Each field's `parser`."""

    @classmethod
    def of(cls, schema: Schema, name: str) -> EntityLayout:
        spec = schema.entities[name]
        numeric = spec.ordering is not None and spec.fields[spec.ordering].type in NUMERIC
        keys = {*spec.key, spec.parent.field if spec.parent else ""}
        groups = tuple(f for f, s in spec.fields.items() if s.references and f not in keys)
        totals = tuple(
            f
            for f, s in spec.fields.items()
            if s.type is FieldType.INTEGER and not s.references and f not in keys
        )
        ordering = spec.ordering if numeric else None
        parsers = {name: parser(f) for name, f in spec.fields.items()}
        return cls(name, spec, f"{name}:", ordering, groups, totals if groups else (), parsers)

    @property
    def all_rows(self) -> str:
        return self.prefix + "__all"

    def partition_set(self, encoded_value: str) -> str:
        return f"{self.prefix}__part:{encoded_value}"

    def index_set(self, field: str, encoded_value: str) -> str:
        return f"{self.prefix}__idx:{field}:{encoded_value}"

    def rows_per_group(self, group: str) -> str:
        return f"{self.prefix}__rows:by:{group}"

    def total_per_group(self, total: str, group: str) -> str:
        return f"{self.prefix}__sum:{total}:by:{group}"

    def structure(self) -> list[str]:
        return [
            self.prefix,
            self.ordering or "",
            self.spec.partition or "",
            str(len(self.spec.indexes)),
            *self.spec.indexes,
            str(len(self.groups)),
            *self.groups,
            str(len(self.totals)),
            *self.totals,
        ]

    def structural(self, fields: Sequence[str]) -> bool:
        """Whether changing any of `fields` moves the row between sorted sets."""
        placing = {*self.spec.indexes, self.spec.partition, self.ordering}
        return any(f in placing or f in self.groups or f in self.totals for f in fields)

    def row_id(self, row: Mapping[str, object]) -> str:
        return ":".join(str(row[k]) for k in self.spec.key)

    def key_score(self, row: Mapping[str, object]) -> int:
        if len(self.spec.key) == 1:
            return as_int(row[self.spec.key[0]])
        parent, sequence = (as_int(row[k]) for k in self.spec.key)
        return parent * SEQUENCE_SPAN + sequence

    def encode_pairs(self, row: Mapping[str, object]) -> list[str]:
        """The count of stored fields, then field/value pairs (None fields left out)."""
        flat: list[str] = []
        for name, spec in self.spec.fields.items():
            value = row.get(name)
            if value is not None:
                flat += (name, encode(spec, value))
        return [str(len(flat) // 2), *flat]

    def decode_pairs(self, flat: Sequence[str]) -> Row:
        """An HGETALL reply as a row of exactly the entity's fields."""
        stored = dict(zip(flat[::2], flat[1::2], strict=True))
        return {
            name: None if (text := stored.get(name)) is None else parse(text)
            for name, parse in self.parsers.items()
        }

    def decode_fields(self, fields: Sequence[str], values: Sequence[str | None]) -> Row:
        """An HMGET reply of `fields` as a partial row."""
        parsers = self.parsers
        return {
            name: None if value is None else parsers[name](value)
            for name, value in zip(fields, values, strict=True)
        }

    def sort_key(self, row: Mapping[str, object]) -> tuple[int, ...]:
        return tuple(as_int(row[k]) for k in self.spec.key)

    def describe(self, schema: Schema) -> list[str]:
        """The key layout, one line per kind of key (for `DataModel.layout`)."""
        spec = self.spec
        types = ", ".join(f"{n} {_described(f)}" for n, f in spec.fields.items())
        key = ":".join(f"<{k}>" for k in spec.key)
        by_key = f"{spec.key[0]} × {SEQUENCE_SPAN} + {spec.key[1]}" if spec.parent else spec.key[0]
        score = self.ordering or by_key
        lines = [
            f"{self.prefix}{key}: hash ({types})",
            f"{self.all_rows}: sorted set of every row's id ({':'.join(spec.key)}), score {score}",
        ]
        if spec.partition:
            lines.append(
                f"{self.prefix}__part:<{spec.partition}>: sorted set per {spec.partition}"
                f" value of its rows' ids, score {score}"
            )
        lines += [
            f"{self.prefix}__idx:{f}:<{f}>: sorted set per {f} value of its rows' ids, "
            f"score {by_key}"
            for f in spec.indexes
        ]
        lines += [
            f"{self.rows_per_group(g)}: sorted set of {g} values, score the count of rows"
            for g in self.groups
        ]
        lines += [
            f"{self.total_per_group(t, g)}: sorted set of {g} values, score the sum of {t}"
            " (ZINCRBY on every write)"
            for g in self.groups
            for t in self.totals
        ]
        lines.append(
            f"{self.prefix}__expires: sorted set of the ids of rows written with a TTL, score"
            f" the epoch ms they expire at; {self.prefix}__ghost:<id>: hash of such a row's"
            " fields that place it in sorted sets (removed with the row)"
        )
        if spec.parent:
            lines.append(
                f"{self.prefix}<{spec.parent.field}>:__seq: sorted set per {spec.parent.entity}"
                f" row of its children's {spec.sequence_field} (member and score)"
            )
        return lines


def _described(spec: FieldSpec) -> str:
    match spec.type:
        case FieldType.DECIMAL:
            return f"decimal text, scale {spec.scale}"
        case FieldType.TIMESTAMP:
            return "epoch ms"
        case FieldType.BOOLEAN:
            return "0/1"
        case FieldType.JSON:
            return "JSON text"
    return str(spec.type)


def layouts(schema: Schema) -> dict[str, EntityLayout]:
    return {name: EntityLayout.of(schema, name) for name in schema.entities}
