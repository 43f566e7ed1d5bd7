"""How long a workload's phases last when its file does not say, and how it says `auto`
for a warm-up (kept out of `model` so that the spec's fields read in one place)."""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from pydantic import BeforeValidator, Field, TypeAdapter, ValidationError
from pydantic_core import PydanticCustomError

AUTO: Final = "auto"
"""`warmup_s: auto`: the warm-up lasts until throughput is steady
(`bakeoff.harness.steady_state`)."""
DEFAULT_DURATION_S: Final = 10.0
"""Measured seconds of a workload that gives neither operation_count nor duration_s: an
operation count that suits one engine lasts milliseconds on another (docs/reports.md,
"Default length")."""
MAX_SECONDS: Final = 7 * 24 * 3600.0
"""The longest phase a workload may ask for (README, "Limits")."""

_SECONDS: Final = TypeAdapter(
    Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=MAX_SECONDS)]
)


def _seconds_or_auto(value: object) -> object:
    # Checked here rather than by the union alone, so that a wrong value gets the one
    # error of a number (the union would add "or expected 'auto'" as a second problem).
    if value == AUTO:
        return value
    if isinstance(value, str):
        raise ValueError(f"expected a number of seconds or {AUTO}")
    try:
        return _SECONDS.validate_python(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise PydanticCustomError(first["type"], first["msg"], first.get("ctx")) from None


WarmupSeconds = Annotated[float | Literal["auto"], BeforeValidator(_seconds_or_auto)]
"""Seconds of warm-up (0: none), or `auto`."""


def with_default_length(data: Any) -> Any:
    """A workload's raw fields with the measured phase's length filled in when they name
    neither `operation_count` nor `duration_s`: `DEFAULT_DURATION_S`. (A duration given
    alone stops the phase: `operation_count` defaults to None.)"""
    if isinstance(data, dict) and "operation_count" not in data and "duration_s" not in data:
        return {**data, "duration_s": DEFAULT_DURATION_S}
    return data
