"""How a schema's rows become MongoDB documents and back, for the MongoDB data models.

A root entity is a collection of its own whose ``_id`` is the row's key. A child entity
is either embedded (an array under its name in the parent document, each element without
the parent's key, which is the parent's ``_id``) or referenced (a collection of its own
with the parent's key as a field, an ObjectId ``_id`` and a unique index on its key).
`Source` hides which: it names the collection to read, the array to ``$unwind`` (embedded
children), and each field's path in what a query returns, so that every read is compiled
once for either layout.

Values: timestamps are BSON dates (the database handle decodes them as ``DatetimeMS``,
so epoch milliseconds go both ways without datetime objects); decimals are doubles, since
FerretDB v1.24 drops the connection on a Decimal128 ("invalid BSON type"); json fields
are embedded documents; the rest map to themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bakeoff.core.schema import EntitySpec, FieldType, Row, Schema

ID = "_id"
Codec = Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


def _to_double(value: Any) -> Any:
    return None if value is None else float(value)


def _to_date(value: Any) -> Any:
    from bson.datetime_ms import DatetimeMS  # lazily: importing must not need the driver

    return None if value is None else DatetimeMS(int(value))


def _from_date(value: Any) -> Any:
    return None if value is None else int(value)


_ENCODE: Mapping[FieldType, Codec] = {FieldType.DECIMAL: _to_double, FieldType.TIMESTAMP: _to_date}
_DECODE: Mapping[FieldType, Codec] = {FieldType.TIMESTAMP: _from_date}
_STORED: Mapping[FieldType, str] = {
    FieldType.INTEGER: "int64",
    FieldType.DECIMAL: "double",
    FieldType.TEXT: "string",
    FieldType.TIMESTAMP: "date",
    FieldType.BOOLEAN: "bool",
    FieldType.JSON: "object",
}


def encoder(entity: EntitySpec, field: str) -> Codec:
    """A row value of `field` as stored (also for parameters compared with it)."""
    return _ENCODE.get(entity.fields[field].type, _same)


def decoder(entity: EntitySpec, field: str) -> Codec:
    return _DECODE.get(entity.fields[field].type, _same)


def from_text(entity: EntitySpec, field: str, text: str) -> Any:
    """A compare-and-set's `expect`/`to` (text in the workload) as the stored value."""
    kind = entity.fields[field].type
    value: Any = text
    if kind in (FieldType.INTEGER, FieldType.TIMESTAMP):
        value = int(text)
    elif kind is FieldType.DECIMAL:
        value = Decimal(text)
    elif kind is FieldType.BOOLEAN:
        value = text.lower() == "true"
    return encoder(entity, field)(value)


def stored_type(entity: EntitySpec, field: str) -> str:
    return _STORED[entity.fields[field].type]


@dataclass(frozen=True)
class Source:
    """Where the rows of one entity are read from, and each field's path there."""

    name: str
    entity: EntitySpec
    collection: str
    unwind: str | None
    """The array of the parent document holding the rows (embedded children)."""
    paths: Mapping[str, str]
    """Field name to its path in a query's result (after ``$unwind``)."""

    def path(self, field: str) -> str:
        return self.paths[field]

    def key_order(self) -> list[tuple[str, int]]:
        return [(self.paths[k], 1) for k in self.entity.key]

    def row(self, document: Mapping[str, Any]) -> Row:
        """The entity's row from a query's result document (absent fields are None)."""
        return {
            field: decoder(self.entity, field)(at_path(document, self.paths[field]))
            for field in self.entity.fields
        }


def at_path(document: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path of a document; None where it is absent."""
    value: Any = document
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def source(schema: Schema, name: str, *, embedded: bool) -> Source:
    entity = schema.entities[name]
    parent = entity.parent
    if parent is None:
        paths = {f: (ID if f == entity.key[0] else f) for f in entity.fields}
        return Source(name, entity, name, None, paths)
    if not embedded:
        return Source(name, entity, name, None, {f: f for f in entity.fields})
    paths = {f: (ID if f == parent.field else f"{name}.{f}") for f in entity.fields}
    return Source(name, entity, parent.entity, name, paths)


class DocumentCodec:
    """Rows of one root entity (with their children) to documents, compiled once."""

    def __init__(self, schema: Schema, name: str, *, embedded: bool) -> None:
        self.entity = schema.entities[name]
        self.key = self.entity.key[0]
        self._fields = [(f, encoder(self.entity, f)) for f in self.entity.fields if f != self.key]
        self.children = schema.children_of(name)
        self.embedded = embedded
        self._child_fields: dict[str, list[tuple[str, Codec]]] = {}
        for child_name in self.children:
            child = schema.entities[child_name]
            assert child.parent is not None
            # Embedded, the parent's key is the enclosing document's _id.
            skip = child.parent.field if embedded else None
            self._child_fields[child_name] = [
                (f, encoder(child, f)) for f in child.fields if f != skip
            ]

    def document(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """The root document; embedded, it carries its children's arrays."""
        document = {ID: row[self.key]}
        for field, encode in self._fields:
            document[field] = encode(row.get(field))
        if self.embedded:
            for child_name in self.children:
                document[child_name] = self.child_documents(child_name, row)
        return document

    def child_documents(self, child_name: str, row: Mapping[str, Any]) -> list[dict[str, Any]]:
        children: Sequence[Mapping[str, Any]] = row.get(child_name) or ()
        fields = self._child_fields[child_name]
        return [{f: encode(child.get(f)) for f, encode in fields} for child in children]

    def values(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """An update's new values as stored."""
        return {f: encoder(self.entity, f)(v) for f, v in values.items()}


def layout_lines(schema: Schema, *, embedded: bool) -> list[str]:
    """The collections and indexes of a schema, as mongosh would create them."""
    lines: list[str] = []
    for name in schema.roots():
        entity = schema.entities[name]
        shape = [f"_id: {entity.key[0]} ({stored_type(entity, entity.key[0])})"]
        shape += [f"{f}: {stored_type(entity, f)}" for f in entity.fields if f != entity.key[0]]
        for child_name in schema.children_of(name) if embedded else ():
            child = schema.entities[child_name]
            inner = [f"{f}: {stored_type(child, f)}" for f in child.fields if f != child.key[0]]
            shape.append(f"{child_name}: [{{{', '.join(inner)}}}]")
        lines.append(f"db.{name}: {{{', '.join(shape)}}}")
    for name, entity in schema.entities.items():
        src = source(schema, name, embedded=embedded)
        if entity.parent is not None and not embedded:
            shape = [f"{f}: {stored_type(entity, f)}" for f in entity.fields]
            lines.append(f"db.{name}: {{_id: ObjectId, {', '.join(shape)}}}")
            keys = ", ".join(f"{k}: 1" for k in entity.key)
            lines.append(f"db.{name}.createIndex({{{keys}}}, {{unique: true}})")
        for spec in index_specs(src):
            keys = ", ".join(f"{path!r}: 1" if "." in path else f"{path}: 1" for path in spec)
            lines.append(f"db.{src.collection}.createIndex({{{keys}}})")
    return lines


def index_specs(src: Source) -> list[list[str]]:
    """The secondary indexes of an entity: its `indexes`, then (partition, ordering)."""
    entity = src.entity
    specs = [[src.path(f)] for f in entity.indexes]
    compound = [f for f in (entity.partition, entity.ordering) if f]
    if compound:
        specs.append([src.path(f) for f in compound])
    return [spec for spec in specs if spec != [ID]]
