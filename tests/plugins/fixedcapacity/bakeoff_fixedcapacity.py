"""A bakeoff test engine whose capacity is known by construction.

Reads are served by `WORKERS` virtual workers, first come first served, each read taking
`SERVICE_S` seconds, so a worker process serves at most WORKERS / SERVICE_S reads a
second however many connections it runs: 4 / 20 ms = 200 reads/s. The schedule is kept
in virtual time (when each worker is free next) and a read sleeps until its computed
completion, so a thread that wakes late on a busy machine delays its own answer but never
the workers' schedule: the capacity stays exact. The workers are shared by the
connections of one process (threads), so the tests run it with one worker process
(`--processes 1`). Records live in a dict per endpoint, as in the dictstore plugin.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Mapping, Sequence
from typing import ClassVar

from bakeoff.adapters.protocol import Capability, Endpoint, Record, TableSpec
from bakeoff.engines.catalog import EngineSpec, Family, Provision

WORKERS = 4
SERVICE_S = 0.020
TRUE_MAX = WORKERS / SERVICE_S
"""Reads a second one process of this engine can serve, at most."""

_FREE_AT = [0.0] * WORKERS
"""When each worker is free next (perf_counter seconds), as a heap."""
_STORES: dict[str, dict[str, str]] = {}
_LOCK = threading.Lock()


class FixedDatabase:
    file_suffix = ".fixed"

    def version(self) -> str:
        return f"FixedCapacity {WORKERS} × {SERVICE_S * 1000:g} ms"


SPEC = EngineSpec(
    name="fixedcapacity",
    display_name="FixedCapacity",
    family=Family.KEY_VALUE,
    adapter="fixedcapacity",
    provision=Provision.EMBEDDED,
    driver_modules=(),
    extra="(none)",
    url_scheme="fixedcapacity",
    embedded=FixedDatabase(),
    notes="Reads take a fixed time on a fixed number of workers (a plugin of the tests).",
)


class FixedCapacityAdapter:
    name: ClassVar[str] = "fixedcapacity"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.COUNT})

    def __init__(self) -> None:
        self._tables: dict[str, str] = {}
        """Key -> the one field's value (one table: the workload's)."""

    def connect(self, endpoint: Endpoint, options: Mapping[str, str]) -> None:
        with _LOCK:
            self._tables = _STORES.setdefault(endpoint.url, {})

    def setup(self, table: TableSpec) -> None:
        pass

    def teardown(self, table: TableSpec) -> None:
        with _LOCK:
            self._tables.clear()

    def close(self) -> None:
        self._tables = {}

    def read(self, table: str, key: str, fields: Sequence[str] | None) -> Record | None:
        with _LOCK:
            start = max(time.perf_counter(), heapq.heappop(_FREE_AT))
            heapq.heappush(_FREE_AT, start + SERVICE_S)
        time.sleep(max(0.0, start + SERVICE_S - time.perf_counter()))
        with _LOCK:
            return {"field0": self._tables[key]} if key in self._tables else None

    def insert(self, table: str, key: str, values: Mapping[str, str]) -> None:
        with _LOCK:
            self._tables[key] = next(iter(values.values()), "")

    def update(self, table: str, key: str, values: Mapping[str, str]) -> None:
        self.insert(table, key, values)

    def delete(self, table: str, key: str) -> None:
        with _LOCK:
            self._tables.pop(key, None)

    def scan(
        self, table: str, start_key: str, count: int, fields: Sequence[str] | None
    ) -> list[tuple[str, Record]]:
        return []

    def count_records(self, table: str) -> int:
        with _LOCK:
            return len(self._tables)
