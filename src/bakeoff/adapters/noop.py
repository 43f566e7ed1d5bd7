"""An adapter that does nothing, to measure the harness itself.

`bakeoff selftest` drives it to price what the load generator adds to every operation
(choosing keys and values, timing, recording). It is never a stand-in for an engine: it
has no catalog entry, and results that name it say so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from bakeoff.adapters.protocol import Capability, Endpoint, Record, TableSpec

_RECORD: Record = {"field0": ""}


class NoopAdapter:
    name: ClassVar[str] = "noop"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.SCAN, Capability.ORDERED_SCAN, Capability.DELETE, Capability.EXISTS}
    )

    def connect(self, endpoint: Endpoint, options: Mapping[str, str]) -> None:
        pass

    def setup(self, table: TableSpec) -> None:
        pass

    def teardown(self, table: TableSpec) -> None:
        pass

    def close(self) -> None:
        pass

    def read(self, table: str, key: str, fields: Sequence[str] | None) -> Record | None:
        return _RECORD

    def insert(self, table: str, key: str, values: Mapping[str, str]) -> None:
        pass

    def update(self, table: str, key: str, values: Mapping[str, str]) -> None:
        pass

    def delete(self, table: str, key: str) -> None:
        pass

    def exists(self, table: str, key: str) -> bool:
        return True

    def scan(
        self, table: str, start_key: str, count: int, fields: Sequence[str] | None
    ) -> list[tuple[str, Record]]:
        return []
