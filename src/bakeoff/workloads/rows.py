"""The rows of a schema workload, each a pure function of (seed, entity, key).

Every value is a hash of the seed, the entity, the field and the row's key, so a row is
the same whichever connection loads it, in whatever batch, on whichever engine: answers
can be compared across engines, and a verification pass can recompute any row. Values
to look rows up by (a find's value, a range's window) are drawn from the same
distributions, so they hit the data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Final, cast

import numpy as np
import numpy.typing as npt

from bakeoff.core.schema import EntitySpec, FieldSpec, FieldType, Row, Schema

U64 = npt.NDArray[np.uint64]
DEFAULT_TIME_START_MS: Final = 1_767_225_600_000
"""2026-01-01T00:00:00Z: timestamps fall in the 30 days after it unless a field says."""
DEFAULT_TIME_SPAN_MS: Final = 30 * 24 * 3600 * 1000
DEFAULT_INT_MAX: Final = 1000
_LETTERS: Final = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)


def _code(*parts: object) -> np.uint64:
    digest = hashlib.blake2b("/".join(map(str, parts)).encode(), digest_size=8).digest()
    return np.uint64(int.from_bytes(digest, "little"))


def mix(values: U64) -> U64:
    """SplitMix64's finaliser: a well-spread 64-bit hash of each value."""
    with np.errstate(over="ignore"):
        z = values + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def hashes(seed: int, stream: str, keys: npt.NDArray[Any]) -> U64:
    """One 64-bit hash per key for one purpose (an entity's field, a child count, ...)."""
    with np.errstate(over="ignore"):
        return mix(keys.astype(np.uint64) ^ _code(seed, stream))


def time_bounds(spec: FieldSpec) -> tuple[int, int]:
    low = DEFAULT_TIME_START_MS if spec.min is None else spec.min
    return low, low + DEFAULT_TIME_SPAN_MS if spec.max is None else spec.max


def int_bounds(spec: FieldSpec) -> tuple[int, int]:
    return (spec.min or 0), (DEFAULT_INT_MAX if spec.max is None else spec.max)


def field_values(schema: Schema, spec: FieldSpec, h: U64) -> list[Any]:  # noqa: PLR0911
    """A value of `spec` for each hash (the field's distribution, whatever the key)."""
    match spec.type:
        case FieldType.INTEGER:
            if spec.references:
                size = max(schema.entities[spec.references].rows, 1)
                return _ints((h % np.uint64(size)).astype(np.int64))
            low, high = int_bounds(spec)
            return _ints(low + (h % np.uint64(high - low + 1)).astype(np.int64))
        case FieldType.TIMESTAMP:
            low, high = time_bounds(spec)
            return _ints(low + (h % np.uint64(high - low + 1)).astype(np.int64))
        case FieldType.DECIMAL:
            low, high = int_bounds(spec)
            unit = 10**spec.scale
            cents = low * unit + (h % np.uint64((high - low) * unit + 1)).astype(np.int64)
            return [Decimal(int(c)).scaleb(-spec.scale) for c in _ints(cents)]
        case FieldType.BOOLEAN:
            return [bool(b) for b in _ints(h & np.uint64(1))]
        case FieldType.TEXT:
            if spec.choices:
                return [spec.choices[i] for i in _ints(h % np.uint64(len(spec.choices)))]
            return _letters(h, spec.length)
        case FieldType.JSON:
            tags = _letters(h, 4)
            scores = _ints(mix(h) % np.uint64(100))
            return [{"tag": t, "score": int(s)} for t, s in zip(tags, scores, strict=True)]
    raise AssertionError(spec.type)  # pragma: no cover - the enum is exhausted above


def _letters(h: U64, length: int) -> list[str]:
    columns = np.empty((h.size, length), dtype=np.uint8)
    state = h
    for i in range(length):
        state = mix(state)
        columns[:, i] = _LETTERS[(state % np.uint64(26)).astype(np.intp)]
    return [bytes(row).decode() for row in columns]


def rows_for_keys(schema: Schema, entity: str, keys: Sequence[int], seed: int) -> list[Row]:
    """The root rows of `entity` with these keys, each with its children as lists under
    each child entity's name (ordered by their sequence field)."""
    spec = schema.entities[entity]
    key_array = np.asarray(keys, dtype=np.int64)
    rows = _rows(schema, entity, spec, key_array, seed, {spec.key[0]: _ints(key_array)})
    for child_name in schema.children_of(entity):
        child = schema.entities[child_name]
        assert child.parent is not None and child.sequence_field is not None
        low, high = child.parent.children
        counts = (
            low + (hashes(seed, f"{child_name}/count", key_array) % np.uint64(high - low + 1))
        ).astype(np.int64)
        parents = np.repeat(key_array, counts)
        numbered = [np.arange(1, c + 1, dtype=np.int64) for c in _ints(counts)]
        sequence = np.concatenate(numbered) if numbered else np.empty(0, dtype=np.int64)
        # A child's identity: its parent's key and its number under that parent.
        identity = parents * 1024 + sequence
        fixed = {child.parent.field: _ints(parents), child.sequence_field: _ints(sequence)}
        children = _rows(schema, child_name, child, identity, seed, fixed)
        at = 0
        for row, count in zip(rows, _ints(counts), strict=True):
            row[child_name] = children[at : at + count]
            at += count
    for name, field in spec.fields.items():
        if field.sum_of_children:
            _sum_children(schema, entity, rows, name, field)
    return rows


def _rows(
    schema: Schema,
    entity: str,
    spec: EntitySpec,
    identity: npt.NDArray[np.int64],
    seed: int,
    fixed: dict[str, list[Any]],
) -> list[Row]:
    columns: dict[str, list[Any]] = {}
    for name, field in spec.fields.items():
        if name in fixed:
            columns[name] = fixed[name]
        elif field.sum_of_children:
            columns[name] = [None] * identity.size
        else:
            columns[name] = field_values(schema, field, hashes(seed, f"{entity}.{name}", identity))
    names = list(columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def _sum_children(
    schema: Schema, entity: str, rows: list[Row], name: str, field: FieldSpec
) -> None:
    child_name = schema.children_of(entity)[0]
    unit = Decimal(1).scaleb(-field.scale)
    for row in rows:
        total = Decimal(0)
        for child in row[child_name]:  # type: ignore[attr-defined]
            product = Decimal(1)
            for factor in field.sum_of_children:
                product *= Decimal(child[factor])
            total += product
        row[name] = total.quantize(unit)


def _ints(values: npt.NDArray[Any]) -> list[int]:
    return cast("list[int]", values.tolist())


def draw_values(schema: Schema, spec: FieldSpec, rng: np.random.Generator, n: int) -> list[Any]:
    """`n` values of the field's distribution, drawn at random (parameters of lookups)."""
    h = rng.integers(0, 2**63, size=n, dtype=np.int64).astype(np.uint64)
    return field_values(schema, spec, mix(h))
