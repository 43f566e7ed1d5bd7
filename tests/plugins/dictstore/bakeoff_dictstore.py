"""A third-party bakeoff engine: a key-value store that is a dict in the client process.

It depends on bakeoff's public contracts only (the EngineSpec, the EmbeddedDatabase and
the Adapter protocols). Every connection to the same endpoint URL shares one store, so
clients that are threads of one process see each other's writes.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import ClassVar

from bakeoff.adapters.protocol import Capability, Endpoint, Record, TableSpec
from bakeoff.engines.catalog import EngineSpec, Family, Provision

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
