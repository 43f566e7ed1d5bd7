"""The operations a workload can mix: one table that workloads, adapters and the harness read.

Each entry says which adapter method an operation calls and with which generated
arguments, so the load generator binds every operation the same way (per operation type,
vectorised per chunk), the workload model has one share per entry, YCSB import maps the
entry's property, and a workload that needs what an adapter lacks is refused before a run
starts through the entry's capabilities.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from bakeoff.core.capabilities import Capability


class _AlwaysFound:
    def __repr__(self) -> str:
        return "ALWAYS_FOUND"


ALWAYS_FOUND: Final = _AlwaysFound()
"""The `not_found_result` of an operation no result of which means not found."""


class Argument(StrEnum):
    """A kind of generated argument. Every adapter method takes the table name first."""

    KEY = "key"
    """The key of a loaded (or already inserted) record, drawn by the request distribution."""
    NEW_KEY = "new-key"
    """The next unused key of this connection's own key space (an insert)."""
    READ_FIELDS = "read-fields"
    """None (all fields, `read_all_fields`) or the one chosen field."""
    WRITE_VALUES = "write-values"
    """New values for the chosen field, or for every field with `write_all_fields`."""
    RECORD = "record"
    """A value for every field: a whole new record."""
    SCAN_LENGTH = "scan-length"
    """How many records to scan, drawn from `scan_length`."""


@dataclass(frozen=True)
class OperationDefinition:
    name: str
    """The operation's name in workload files and results."""
    method: str
    """The adapter method it calls (empty for a composite)."""
    arguments: tuple[Argument, ...]
    """What follows the table name in the call, in order."""
    not_found_result: object = ALWAYS_FOUND
    """The result that means the key was absent, recorded as not_found (compared with
    `is`: None for a read, False for an existence check)."""
    capabilities: frozenset[Capability] = field(default_factory=frozenset)
    """What an adapter must declare to run it."""
    split_method: str | None = None
    """Its request half on `SplitPhase` adapters; None means it never runs split-phase."""
    ycsb_property: str | None = None
    """Its share's name in a YCSB property file; operations with one are YCSB's core
    operations, always written out in the workload spec (and its hash)."""
    steps: tuple[str, ...] = ()
    """For a composite: the operations it runs in order on one key, each taking the
    arguments of its own kinds; when a step finds nothing it stops and returns its own
    `not_found_result`, else it returns the first step's result."""


@dataclass(frozen=True)
class Composite:
    """A table row for an operation made of others (resolved into an OperationDefinition)."""

    name: str
    steps: tuple[str, ...]
    ycsb_property: str | None = None


def _resolve(rows: tuple[OperationDefinition | Composite, ...]) -> dict[str, OperationDefinition]:
    table: dict[str, OperationDefinition] = {}
    for row in rows:
        if isinstance(row, OperationDefinition):
            table[row.name] = row
            continue
        parts = [table[step] for step in row.steps]
        arguments: list[Argument] = []
        for part in parts:
            arguments += [kind for kind in part.arguments if kind not in arguments]
        table[row.name] = OperationDefinition(
            name=row.name,
            method="",
            arguments=tuple(arguments),
            not_found_result=next(
                (p.not_found_result for p in parts if p.not_found_result is not ALWAYS_FOUND),
                ALWAYS_FOUND,
            ),
            capabilities=frozenset().union(*(part.capabilities for part in parts)),
            split_method=None,  # dependent round trips: one request cannot carry them
            ycsb_property=row.ycsb_property,
            steps=row.steps,
        )
    return table


BY_NAME: dict[str, OperationDefinition] = _resolve(
    (
        OperationDefinition(
            name="read",
            method="read",
            arguments=(Argument.KEY, Argument.READ_FIELDS),
            not_found_result=None,
            split_method="send_read",
            ycsb_property="readproportion",
        ),
        OperationDefinition(
            name="update",
            method="update",
            arguments=(Argument.KEY, Argument.WRITE_VALUES),
            split_method="send_update",
            ycsb_property="updateproportion",
        ),
        OperationDefinition(
            name="insert",
            method="insert",
            arguments=(Argument.NEW_KEY, Argument.RECORD),
            split_method="send_insert",
            ycsb_property="insertproportion",
        ),
        OperationDefinition(
            name="scan",
            method="scan",
            arguments=(Argument.KEY, Argument.SCAN_LENGTH, Argument.READ_FIELDS),
            # YCSB's scan semantics ("the next N records from this key") need key order.
            capabilities=frozenset({Capability.SCAN, Capability.ORDERED_SCAN}),
            split_method="send_scan",
            ycsb_property="scanproportion",
        ),
        Composite(
            name="read_modify_write",
            steps=("read", "update"),
            ycsb_property="readmodifywriteproportion",
        ),
        OperationDefinition(
            name="delete",
            method="delete",
            arguments=(Argument.KEY,),
            capabilities=frozenset({Capability.DELETE}),
            split_method="send_delete",
            ycsb_property="deleteproportion",
        ),
        OperationDefinition(
            name="exists",
            method="exists",
            arguments=(Argument.KEY,),
            not_found_result=False,
            capabilities=frozenset({Capability.EXISTS}),
            split_method="send_exists",
        ),
    )
)
"""Every operation by name, in the order workloads list them (and draw their arguments)."""

OPERATIONS: tuple[OperationDefinition, ...] = tuple(BY_NAME.values())
