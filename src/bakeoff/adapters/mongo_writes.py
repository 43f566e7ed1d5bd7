"""The writes of the MongoDB data models, to one root entity (with its children).

Each write is one document call where the layout allows: embedded, a row and its
children are one document, so an insert, an upsert and a delete are atomic per row.
Referenced, the children are a second call on their own collection, not atomic with the
first. Batches are unordered: every row is attempted, and the first failure (a duplicate
key) is raised after the batch.

The place-order transaction (FerretDB v1.24 has no multi-document transactions): for
each product, in key order, one conditional decrement
``update_one({_id: product, stock: {$gte: quantity}}, {$inc: {stock: -quantity}})``,
atomic on its document; when one matches nothing (the stock would go negative) the
decrements already made are given back with ``$inc`` and the answer is False, with no
order written; otherwise the order is inserted (embedded: with its lines, one document).
Stock never goes negative, but it is not all or nothing: a concurrent reader can see a
decrement before its order exists, or before it is given back, and a lost connection
between the calls leaves decrements without their order.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

from bakeoff.adapters.data_model import Prepared, UnsupportedOperationError
from bakeoff.adapters.model_plans import transaction_child
from bakeoff.adapters.mongo_documents import ID, DocumentCodec, Source, from_text
from bakeoff.core.schema import OperationKind, OperationSpec, Parameters, Row, Schema

TRANSACTION_NOTE = (
    "not atomic: FerretDB v1.24 has no multi-document transactions; each stock is"
    " decremented by a conditional $inc (stock >= quantity), given back when a later one"
    " fails, then the order is inserted"
)


class Writes:
    """The compiled writes of one root entity, over one database handle."""

    def __init__(
        self,
        db: Any,
        schema: Schema,
        entity: str,
        codecs: Mapping[str, DocumentCodec],
        sources: Mapping[str, Source],
        embedded: bool,
    ) -> None:
        self._db = db
        self._schema = schema
        self._entity = entity
        self._codec = codecs[entity]
        self._codecs = codecs
        self._sources = sources
        self._embedded = embedded
        self._collection = db[entity]
        # Referenced children: (their collection, their parent field).
        self._children: list[tuple[str, Any, str]] = []
        if not embedded:
            for child in schema.children_of(entity):
                parent = schema.entities[child].parent
                assert parent is not None
                self._children.append((child, db[child], parent.field))

    def compile(self, op: OperationSpec) -> Prepared:
        kind = op.kind
        if kind is OperationKind.INSERT:
            return self.insert
        if kind is OperationKind.UPSERT:
            return self.upsert
        if kind is OperationKind.UPDATE:
            return self.update
        if kind is OperationKind.DELETE:
            return self.delete
        if kind is OperationKind.COMPARE_AND_SET:
            return self._compile_compare_and_set(op)
        if kind is OperationKind.TRANSACTION:
            return self._compile_transaction(op)
        raise UnsupportedOperationError(f"{kind} is not a write")

    def insert(self, params: Parameters) -> object:
        rows: Sequence[Row] = params["rows"]
        if not rows:
            return None
        self._collection.insert_many([self._codec.document(r) for r in rows], ordered=False)
        for child, collection, _ in self._children:
            documents = [d for r in rows for d in self._codec.child_documents(child, r)]
            if documents:
                collection.insert_many(documents, ordered=False)
        return None

    def upsert(self, params: Parameters) -> object:
        from pymongo import ReplaceOne

        rows: Sequence[Row] = params["rows"]
        if not rows:
            return None
        documents = [self._codec.document(r) for r in rows]
        replaces = [ReplaceOne({ID: d[ID]}, d, upsert=True) for d in documents]
        self._collection.bulk_write(replaces, ordered=False)
        keys = [d[ID] for d in documents]
        for child, collection, parent_field in self._children:
            collection.delete_many({parent_field: {"$in": keys}})
            children = [d for r in rows for d in self._codec.child_documents(child, r)]
            if children:
                collection.insert_many(children, ordered=False)
        return None

    def update(self, params: Parameters) -> object:
        values: Mapping[str, Any] = params["values"]
        if values:
            self._collection.update_one({ID: params["key"]}, {"$set": self._codec.values(values)})
        return None

    def delete(self, params: Parameters) -> object:
        key = params["key"]
        self._collection.delete_one({ID: key})
        for _, collection, parent_field in self._children:
            collection.delete_many({parent_field: key})
        return None

    def _compile_compare_and_set(self, op: OperationSpec) -> Prepared:
        assert op.field is not None and op.expect is not None and op.to is not None
        entity = self._codec.entity
        path = self._sources[self._entity].path(op.field)
        expect = from_text(entity, op.field, op.expect)
        update = {"$set": {path: from_text(entity, op.field, op.to)}}
        collection = self._collection

        def compare_and_set(params: Parameters) -> object:
            found = collection.update_one({ID: params["key"], path: expect}, update)
            return found.matched_count == 1

        return compare_and_set

    def _compile_transaction(self, op: OperationSpec) -> Prepared:
        decrement = op.decrement
        assert decrement is not None
        child = transaction_child(self._schema, op)
        stock_entity = decrement.entity
        stock = self._sources[stock_entity].path(decrement.field)
        stocks = self._db[stock_entity]
        by, via = decrement.by, decrement.via

        def transaction(params: Parameters) -> object:
            row: Row = params["row"]
            needs: dict[Any, int] = {}
            for line in row.get(child) or ():  # type: ignore[attr-defined]
                needs[line[via]] = needs.get(line[via], 0) + int(line[by])
            taken: list[tuple[Any, int]] = []
            try:
                for key, amount in sorted(needs.items()):
                    found = stocks.update_one(
                        {ID: key, stock: {"$gte": amount}}, {"$inc": {stock: -amount}}
                    )
                    if found.matched_count != 1:
                        self._give_back(stocks, stock, taken)
                        return False
                    taken.append((key, amount))
                self.insert({"rows": [row]})
            except BaseException:
                # The failure that stopped it is the one to report; if the connection is
                # gone, the stock cannot be given back (the note says so).
                with contextlib.suppress(Exception):
                    self._give_back(stocks, stock, taken)
                raise
            return True

        return transaction

    @staticmethod
    def _give_back(stocks: Any, stock: str, taken: list[tuple[Any, int]]) -> None:
        for key, amount in taken:
            stocks.update_one({ID: key}, {"$inc": {stock: amount}})
        taken.clear()
