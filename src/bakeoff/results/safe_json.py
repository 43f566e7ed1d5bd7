"""Manifest values as JSON that can be shared: no credential in any string, no NaN."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import Enum

from pydantic import BaseModel

from bakeoff.core.secrets import REDACTED, looks_secret, redact_text


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z; a naive datetime is taken as local time."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def to_safe_json(value: object, *, key: str = "") -> object:
    """`value` as JSON-ready data in which no string can carry a credential.

    Every string passes through `redact_text`; whatever sits under a key that names a
    secret (password, token, ...) is replaced outright.
    """
    if key and looks_secret(key) and value not in ("", None) and not isinstance(value, bool):
        return REDACTED
    if isinstance(value, Mapping):
        return {redact_text(str(k)): to_safe_json(v, key=str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [to_safe_json(v, key=key) for v in items]
    return _safe_scalar(value)


def _safe_scalar(value: object) -> object:
    if isinstance(value, BaseModel):
        return to_safe_json(value.model_dump(mode="json"))
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, datetime):
        return iso_utc(value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        # JSON has no NaN or infinity; their text keeps the information readable.
        return value if math.isfinite(value) else str(value)
    return redact_text(str(value))
