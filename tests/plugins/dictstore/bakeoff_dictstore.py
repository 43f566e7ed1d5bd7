"""A third-party bakeoff engine: a key-value store that is a dict in the client process.

It depends on bakeoff's public contracts only (the EngineSpec, the EmbeddedDatabase, the
Adapter and the DataModel protocols, and the reference answers of `bakeoff.testing`).
Every connection to the same endpoint URL shares one store, so clients that are threads
of one process see each other's writes.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import ClassVar

from bakeoff.adapters.data_model import OperationPlan, UnsupportedOperationError
from bakeoff.adapters.protocol import Capability, Endpoint, Record, TableSpec
from bakeoff.core.schema import OperationKind, OperationSpec, Row, Schema
from bakeoff.engines.catalog import EngineSpec, Family, Provision
from bakeoff.testing.model_reference import ReferenceStore

VERSION = "0.1.0"
_Tables = dict[str, dict[str, dict[str, str]]]
_STORES: dict[str, _Tables] = {}
_LOCK = threading.Lock()


class DictDatabase:
    file_suffix = ".dict"

    def version(self) -> str:
        return f"DictStore {VERSION}"


SPEC = EngineSpec(
    name="dictstore",
    display_name="DictStore",
    family=Family.KEY_VALUE,
    adapter="dictstore",
    provision=Provision.EMBEDDED,
    driver_modules=(),
    extra="(none)",
    url_scheme="dictstore",
    embedded=DictDatabase(),
    notes="A dict in the client process (a plugin of bakeoff's tests).",
)


class DictStoreAdapter:
    name: ClassVar[str] = "dictstore"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.SCAN, Capability.ORDERED_SCAN, Capability.DELETE, Capability.COUNT}
    )

    def __init__(self) -> None:
        self._tables: _Tables = {}

    def connect(self, endpoint: Endpoint, options: Mapping[str, str]) -> None:
        with _LOCK:
            self._tables = _STORES.setdefault(endpoint.url, {})

    def setup(self, table: TableSpec) -> None:
        with _LOCK:
            self._tables.setdefault(table.name, {})

    def teardown(self, table: TableSpec) -> None:
        with _LOCK:
            self._tables.pop(table.name, None)

    def close(self) -> None:
        self._tables = {}

    def read(self, table: str, key: str, fields: Sequence[str] | None) -> Record | None:
        with _LOCK:
            record = self._tables[table].get(key)
            if record is None:
                return None
            return {f: v for f, v in record.items() if fields is None or f in fields}

    def insert(self, table: str, key: str, values: Mapping[str, str]) -> None:
        with _LOCK:
            self._tables[table][key] = dict(values)

    def update(self, table: str, key: str, values: Mapping[str, str]) -> None:
        with _LOCK:
            record = self._tables[table].get(key)
            if record is not None:  # as SQL's UPDATE: an absent record stays absent
                record.update(values)

    def delete(self, table: str, key: str) -> None:
        with _LOCK:
            self._tables[table].pop(key, None)

    def scan(
        self, table: str, start_key: str, count: int, fields: Sequence[str] | None
    ) -> list[tuple[str, Record]]:
        with _LOCK:
            rows = self._tables[table]
            keys = sorted(k for k in rows if k >= start_key)[:count]
            return [
                (k, {f: v for f, v in rows[k].items() if fields is None or f in fields})
                for k in keys
            ]

    def count_records(self, table: str) -> int:
        with _LOCK:
            return len(self._tables[table])


# -- schema workloads ------------------------------------------------------------------
# The same engine under two data models. `documents` keeps root rows with their children
# in the client process and answers with bakeoff's reference semantics; `lossy` is a
# deliberately broken model that drops the last row of every find and range answer, so
# the tests can see the harness fail a trial whose answers differ.

_DOCUMENTS: dict[str, ReferenceStore] = {}


class DictDocumentModel:
    name: ClassVar[str] = "documents"
    adapters: ClassVar[frozenset[str]] = frozenset({"dictstore"})
    default: ClassVar[bool] = True
    description: ClassVar[str] = "Root rows with their children as nested lists in a dict."

    def __init__(self) -> None:
        self._url = ""
        self._store: ReferenceStore | None = None

    @classmethod
    def plan(cls, schema: Schema, name: str, operation: OperationSpec) -> OperationPlan:
        if operation.ttl_s is not None:
            raise UnsupportedOperationError("a dict has no expiry")
        return OperationPlan()

    @classmethod
    def layout(cls, schema: Schema) -> list[str]:
        return [f"dict {name} by {', '.join(schema.entities[name].key)}" for name in schema.roots()]

    def connect(self, endpoint: Endpoint, options: Mapping[str, str]) -> None:
        self._url = endpoint.url

    def setup(self, schema: Schema) -> None:
        with _LOCK:
            self._store = _DOCUMENTS.setdefault(self._url, ReferenceStore(schema))

    def teardown(self, schema: Schema) -> None:
        with _LOCK:
            _DOCUMENTS.pop(self._url, None)

    def load(self, entity: str, rows: Sequence[Row]) -> None:
        assert self._store is not None
        with _LOCK:
            self._store.load(entity, rows)

    def prepare(
        self, name: str, operation: OperationSpec
    ) -> Callable[[Mapping[str, object]], object]:
        store = self._store
        assert store is not None

        def run(params: Mapping[str, object]) -> object:
            with _LOCK:
                return copy.deepcopy(store.answer(operation, params))

        return run

    def dump(self, entity: str) -> list[Row]:
        assert self._store is not None
        with _LOCK:
            return copy.deepcopy(self._store.all_rows(entity))

    def close(self) -> None:
        self._store = None


class LossyDocumentModel(DictDocumentModel):
    name: ClassVar[str] = "lossy"
    default: ClassVar[bool] = False
    description: ClassVar[str] = "documents, but find and range answers lose their last row."

    def prepare(
        self, name: str, operation: OperationSpec
    ) -> Callable[[Mapping[str, object]], object]:
        exact = super().prepare(name, operation)
        if operation.kind not in (OperationKind.FIND, OperationKind.RANGE):
            return exact

        def run(params: Mapping[str, object]) -> object:
            rows = exact(params)
            return rows[:-1] if isinstance(rows, list) else rows

        return run
