"""The Redis adapter's key layout: pure, unit-tested."""

from __future__ import annotations

from collections.abc import Sequence

from bakeoff.adapters.errors import UnsupportedError
from bakeoff.adapters.protocol import Record

SEPARATOR = ":"
INDEX_NAME = "__index"
"""The record key reserved for a table's sorted-set index."""
_GLOB_SPECIAL = frozenset("*?[]\\")


def table_prefix(table: str) -> str:
    """The prefix of every key of `table`; rejects names that could overlap another's."""
    if not table or SEPARATOR in table:
        raise UnsupportedError(
            f"Redis table name {table!r} must be non-empty and contain no {SEPARATOR!r}: "
            "keys are <table>:<key>, so a ':' would let two tables' keys collide"
        )
    return table + SEPARATOR


def index_key(table: str) -> str:
    return table_prefix(table) + INDEX_NAME


def record_key(prefix: str, key: str) -> str:
    if key == INDEX_NAME:
        raise UnsupportedError(f"the record key {INDEX_NAME!r} is reserved for the scan index")
    return prefix + key


def lex_lower_bound(start_key: str) -> str:
    """ZRANGE BYLEX bound for members >= `start_key`.

    Redis reads only the first character as the inclusive/exclusive marker and takes the
    rest verbatim, so keys that themselves start with '[', '(' '-' or '+' need no escaping.
    """
    return "[" + start_key


def glob_escape(text: str) -> str:
    """`text` as a literal in a SCAN MATCH pattern."""
    return "".join("\\" + c if c in _GLOB_SPECIAL else c for c in text)


def pairs_to_record(flat: Sequence[str]) -> Record:
    """A RESP2 HGETALL reply (field, value, field, value, ...) as a dict."""
    if len(flat) == 2:  # one field: a quarter of the general form's cost, per operation
        return {flat[0]: flat[1]}
    it = iter(flat)
    return dict(zip(it, it, strict=True))


def fields_to_record(fields: Sequence[str], values: Sequence[str | None]) -> Record | None:
    """An HMGET reply as a record; None when every value is nil (the key is absent)."""
    if None not in values:
        return dict(zip(fields, values, strict=True))  # type: ignore[arg-type]
    # A present record has all its fields; some-but-not-all nil is a record an update
    # created without an insert, returned with the fields it has.
    record = {f: v for f, v in zip(fields, values, strict=True) if v is not None}
    return record or None
