"""The shape of the data a YCSB-style workload reads and writes."""

from __future__ import annotations

from dataclasses import dataclass

Record = dict[str, str]
"""Field name to value. Values are text (YCSB fields are ASCII payloads)."""


@dataclass(frozen=True)
class TableSpec:
    """The YCSB-style table a workload uses: a text key and `field_count` text fields."""

    name: str
    field_names: tuple[str, ...]
    max_field_length: int
    key_length: int = 64
