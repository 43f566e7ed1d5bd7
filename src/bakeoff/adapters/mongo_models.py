"""The data models of the MongoDB adapter family: embedded and referenced documents.

``embedded`` (the default) keeps each root entity in a collection of its own, ``_id``
its key, with its children as an array in the parent document: an order and its lines
are one document, read and written in one call. ``referenced`` keeps children in a
collection of their own, holding the parent's key; a get with children is a second query
on that key (``{parent: {$in: keys}}``, one for the whole page of parents). ``$lookup``
would save the round trip on MongoDB, but FerretDB v1.24 does not implement it
("`aggregate` stage "$lookup" is not implemented yet"), and a model serves every engine
of its adapter. Layouts and value types: `bakeoff.adapters.mongo_documents`; reads and
aggregates, with what FerretDB lacks: `bakeoff.adapters.mongo_reads`.

Limits of FerretDB v1.24 (probed against its server) that the models declare in `plan`:
no TTL indexes (``expireAfterSeconds`` is "not implemented yet"), so an insert with
``ttl_s`` is refused rather than emulated; no multi-document transactions (a session's
``startTransaction`` is an unknown field, ``abortTransaction`` an unknown command), so
the place-order transaction is a sequence of single-document writes, each atomic, the
whole not (`bakeoff.adapters.mongo_writes`); no Decimal128, so decimals are doubles.
Every call materialises its results as lists and dicts before it returns.

Measured on FerretDB v1.24 (SQLite, the shipped orders workload at full size, 2000
orders of 1-5 lines, one connection, 2 cores shared with the server; median ms of 8
calls): get_order 123 embedded vs 342 referenced, customer_orders 216 vs 62,
orders_by_status 255 vs 65, update_status 210 vs 34, top_products 494 vs 353,
place_order 16 vs 54. FerretDB reads and decodes whole collections for nearly every
query (only equality on ``_id`` reaches SQLite, and misses its index there), so the
embedded documents, three times the size, make every scan of orders slower, while a
referenced get pays a second scan, of the lines.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, NoReturn

from bakeoff.adapters.data_model import (
    OperationPlan,
    Prepared,
    UnsupportedOperationError,
)
from bakeoff.adapters.errors import FatalError
from bakeoff.adapters.model_plans import WRITES_BY_KEY, refuse_child_by_key, transaction_child
from bakeoff.adapters.mongo import open_database, raise_translated
from bakeoff.adapters.mongo_documents import (
    ID,
    DocumentCodec,
    Source,
    encoder,
    index_specs,
    layout_lines,
    source,
)
from bakeoff.adapters.mongo_model_explain import RecordingDatabase, explain_read
from bakeoff.adapters.mongo_reads import (
    Filter,
    Pipeline,
    aggregate_plan,
    compile_aggregate,
    match_builder,
    pipeline_head,
)
from bakeoff.adapters.mongo_writes import TRANSACTION_NOTE, Writes
from bakeoff.core.endpoint import Endpoint
from bakeoff.core.query_plans import QueryPlan
from bakeoff.core.schema import FieldType, OperationKind, OperationSpec, Parameters, Row, Schema

_NO_TTL = (
    "FerretDB v1.24 has no TTL indexes (createIndex with expireAfterSeconds is "
    "'not implemented yet'), and the model does not emulate expiry"
)


class _NotConnected:
    def __getitem__(self, name: str) -> NoReturn:
        raise FatalError("the MongoDB data model is not connected")


class _DocumentModel:
    """What the embedded and referenced models share; `embedded` tells them apart."""

    name: ClassVar[str]
    adapters: ClassVar[frozenset[str]] = frozenset({"mongo"})
    default: ClassVar[bool]
    description: ClassVar[str]
    embedded: ClassVar[bool]

    def __init__(self) -> None:
        self._client: Any = None
        self._db: Any = _NotConnected()
        self._driver_error: type[Exception] = _NeverRaisedError
        self._schema: Schema | None = None
        self._sources: dict[str, Source] = {}
        self._codecs: dict[str, DocumentCodec] = {}
        self._children: dict[str, list[str]] = {}

    # -- declared before the run -----------------------------------------------------

    @classmethod
    def plan(cls, schema: Schema, name: str, operation: OperationSpec) -> OperationPlan:
        kind = operation.kind
        if operation.ttl_s is not None:
            raise UnsupportedOperationError(f"{name}: {_NO_TTL}")
        refuse_child_by_key(schema, operation, WRITES_BY_KEY)
        if kind is OperationKind.AGGREGATE:
            return aggregate_plan(operation)
        if kind is OperationKind.TRANSACTION:
            transaction_child(schema, operation)  # raises when the schema does not fit
            return OperationPlan(note=TRANSACTION_NOTE)
        children = schema.children_of(operation.entity)
        if kind in (OperationKind.INSERT, OperationKind.UPSERT) and children and not cls.embedded:
            return OperationPlan(note=f"not atomic: {operation.entity}, then {', '.join(children)}")
        return OperationPlan()

    @classmethod
    def layout(cls, schema: Schema) -> list[str]:
        lines = layout_lines(schema, embedded=cls.embedded)
        types = {f.type for e in schema.entities.values() for f in e.fields.values()}
        if FieldType.DECIMAL in types:
            lines.append("// decimals are doubles: FerretDB v1.24 does not take Decimal128")
        return lines

    # -- lifecycle -------------------------------------------------------------------

    def connect(self, endpoint: Endpoint, options: Mapping[str, str]) -> None:
        client, database, _ = open_database(endpoint, options)
        from bson.codec_options import CodecOptions, DatetimeConversion
        from pymongo.errors import PyMongoError

        self.close()
        self._client = client
        # Dates decode as DatetimeMS: epoch ms with no datetime object in between.
        options_ms: Any = CodecOptions(datetime_conversion=DatetimeConversion.DATETIME_MS)
        self._db = database.with_options(codec_options=options_ms)
        self._driver_error = PyMongoError

    def setup(self, schema: Schema) -> None:
        from pymongo.errors import CollectionInvalid

        self._schema = schema
        self._sources = {n: source(schema, n, embedded=self.embedded) for n in schema.entities}
        roots = schema.roots()
        self._codecs = {n: DocumentCodec(schema, n, embedded=self.embedded) for n in roots}
        self._children = {n: schema.children_of(n) for n in schema.entities}
        try:
            for src in self._sources.values():
                with contextlib.suppress(CollectionInvalid):  # it exists: idempotent
                    self._db.create_collection(src.collection)
                for spec in index_specs(src):
                    self._db[src.collection].create_index([(path, 1) for path in spec])
                if src.entity.parent is not None and not self.embedded:
                    keys = [(k, 1) for k in src.entity.key]
                    self._db[src.collection].create_index(keys, unique=True)
        except self._driver_error as exc:
            raise_translated(exc)

    def teardown(self, schema: Schema) -> None:
        try:
            for name in schema.entities:
                self._db.drop_collection(name)
        except self._driver_error as exc:
            raise_translated(exc)

    def close(self) -> None:
        client, self._client = self._client, None
        self._db = _NotConnected()
        if client is not None:
            client.close()

    # -- load and check --------------------------------------------------------------

    def load(self, entity: str, rows: Sequence[Row]) -> None:
        self._guarded(self._writes(entity).insert)({"rows": rows})

    def dump(self, entity: str) -> list[Row]:
        src = self._sources[entity]
        rows: list[Row] = self._guarded(
            lambda _: self._read(src, {}, src.key_order(), None, False)
        )({})
        return rows

    # -- operations ------------------------------------------------------------------

    def prepare(self, name: str, operation: OperationSpec) -> Prepared:
        schema = self._require_schema()
        self.plan(schema, name, operation)
        src = self._sources[operation.entity]
        kind = operation.kind
        compiled: Prepared
        if kind is OperationKind.GET:
            compiled = self._compile_get(src, operation)
        elif kind in (OperationKind.FIND, OperationKind.RANGE):
            compiled = self._compile_select(src, operation)
        elif kind is OperationKind.AGGREGATE:
            compiled = compile_aggregate(src, operation, self._run_pipeline)
        else:
            compiled = self._writes(operation.entity).compile(operation)
        return self._guarded(compiled)

    def _compile_get(self, src: Source, op: OperationSpec) -> Prepared:
        entity = src.entity
        encoders = [(src.path(k), encoder(entity, k)) for k in entity.key]

        def get(params: Parameters) -> object:
            key = params["key"]
            parts: Sequence[Any] = key if isinstance(key, list | tuple) else (key,)
            match = {path: encode(v) for (path, encode), v in zip(encoders, parts, strict=True)}
            rows = self._read(src, match, None, 1, op.with_children)
            return rows[0] if rows else None

        return get

    def _compile_select(self, src: Source, op: OperationSpec) -> Prepared:
        match = match_builder(src, op)
        order: list[tuple[str, int]] = []
        if op.kind is OperationKind.RANGE and op.window is not None:
            order.append((src.path(op.window.field), -1 if op.order == "desc" else 1))
        order += src.key_order()

        def select(params: Parameters) -> object:
            return self._read(src, match(params), order, op.limit, op.with_children)

        return select

    # -- reading ---------------------------------------------------------------------

    def _read(
        self,
        src: Source,
        match: Filter,
        order: list[tuple[str, int]] | None,
        limit: int | None,
        with_children: bool,
    ) -> list[Row]:
        if src.unwind is not None:
            stages = pipeline_head(src, match)
            if order:
                stages.append({"$sort": dict(order)})
            if limit is not None:
                stages.append({"$limit": limit})
            return [src.row(d) for d in self._run_pipeline(src.collection, stages)]
        children = self._children[src.name]
        embedded_children = children if self.embedded else []
        hidden = [c for c in embedded_children if not with_children]
        # batch_size = limit: the whole answer in the first reply, no cursor left open.
        documents = list(
            self._db[src.collection].find(
                match,
                dict.fromkeys(hidden, 0) or None,
                sort=order,
                limit=limit or 0,
                batch_size=limit or 0,
            )
        )
        rows = [src.row(d) for d in documents]
        if with_children and children:
            if self.embedded:
                for row, document in zip(rows, documents, strict=True):
                    for child in children:
                        row[child] = self._embedded_children(child, document)
            else:
                self._attach_referenced(src, rows, children)
        return rows

    def _embedded_children(self, child: str, document: Mapping[str, Any]) -> list[Row]:
        src = self._sources[child]
        elements = document.get(child) or []
        rows = [src.row({ID: document[ID], child: element}) for element in elements]
        sequence = src.entity.key[1]
        return sorted(rows, key=lambda r: r[sequence])  # type: ignore[arg-type,return-value]

    def _attach_referenced(self, src: Source, rows: list[Row], children: list[str]) -> None:
        key = src.entity.key[0]
        keys = [row[key] for row in rows]
        for child in children:
            child_src = self._sources[child]
            parent_field, sequence = child_src.entity.key
            found = self._read(
                child_src,
                {parent_field: keys[0] if len(keys) == 1 else {"$in": keys}},
                [(parent_field, 1), (sequence, 1)],
                None,
                False,
            )
            by_parent: dict[object, list[Row]] = {k: [] for k in keys}
            for child_row in found:
                by_parent[child_row[parent_field]].append(child_row)
            for row in rows:
                row[child] = by_parent[row[key]]

    def _run_pipeline(self, collection: str, stages: Pipeline) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = list(self._db[collection].aggregate(stages))
        return results

    def explain(
        self, name: str, operation: OperationSpec, parameters: Parameters
    ) -> list[QueryPlan]:
        """The plans of the commands a read operation sends (mongo_model_explain.py)."""
        prepared = self.prepare(name, operation)

        def run(database: RecordingDatabase) -> object:
            real, self._db = self._db, database  # read at call time by _read
            try:
                return prepared(parameters)
            finally:
                self._db = real

        try:
            return explain_read(self._db, run, name)
        except self._driver_error as exc:
            raise_translated(exc)

    # -- helpers ---------------------------------------------------------------------

    def _writes(self, entity: str) -> Writes:
        schema = self._require_schema()
        if entity not in self._codecs:
            raise UnsupportedOperationError(f"{entity} is not a root entity")
        return Writes(self._db, schema, entity, self._codecs, self._sources, self.embedded)

    def _require_schema(self) -> Schema:
        if self._schema is None:
            raise FatalError("the MongoDB data model is used before setup")
        return self._schema

    def _guarded(self, call: Callable[[Parameters], object]) -> Callable[[Parameters], Any]:
        driver_error = self._driver_error

        def guarded(params: Parameters) -> object:
            try:
                return call(params)
            except driver_error as exc:
                raise_translated(exc)

        return guarded


class _NeverRaisedError(Exception):
    """Stands in for pymongo's PyMongoError until the driver is imported."""


class EmbeddedModel(_DocumentModel):
    name: ClassVar[str] = "embedded"
    default: ClassVar[bool] = True
    embedded: ClassVar[bool] = True
    description: ClassVar[str] = (
        "one collection per root entity keyed by _id, children embedded as an array in"
        " their parent's document, secondary and (partition, ordering) indexes, reads by"
        " find() and the aggregation pipeline"
    )


class ReferencedModel(_DocumentModel):
    name: ClassVar[str] = "referenced"
    default: ClassVar[bool] = False
    embedded: ClassVar[bool] = False
    description: ClassVar[str] = (
        "one collection per entity, children holding their parent's key (unique index on"
        " the child's key), a parent's children read by a second query on that key"
    )
