"""The one error hierarchy adapters raise; the harness counts failures per kind."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Any


class ErrorKind(StrEnum):
    TRANSIENT = "transient"
    FATAL = "fatal"
    UNSUPPORTED = "unsupported"


class AdapterError(Exception):
    """Base of every error an adapter reports to the harness."""

    kind: ErrorKind = ErrorKind.FATAL


class TransientError(AdapterError):
    """The operation failed but the engine is healthy: a timeout, a conflict, a busy lock.

    The harness counts it and carries on.
    """

    kind = ErrorKind.TRANSIENT


class FatalError(AdapterError):
    """The connection or the engine is gone; the trial cannot continue."""

    kind = ErrorKind.FATAL


class UnsupportedError(AdapterError):
    """The adapter cannot perform this operation at all (a capability it lacks)."""

    kind = ErrorKind.UNSUPPORTED


def missing_driver(engine: str, error: ModuleNotFoundError, extra: str | None) -> FatalError:
    """The error an adapter raises from `connect` when its driver is not installed;
    `extra` is the pip extra that installs it (None: it depends on the engine)."""
    which = f"the {extra!r} extra" if extra else "the matching extra"
    return FatalError(
        f"the driver for {engine} is not installed ({error.name}); install bakeoff with {which}"
    )


def dbapi_exceptions(
    dbapi_module: Any, driver_connection: Any
) -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """A PEP 249 driver's exception classes: (transient, any driver error).

    Some dialects' DBAPI shims omit them, so fall back to the driver's top-level module.
    """
    driver_module = sys.modules.get(type(driver_connection).__module__.split(".")[0])
    # A shim may carry only the driver's base Error (duckdb-engine's does): the module
    # that defines it defines the rest.
    base = getattr(dbapi_module, "Error", None)
    base_module = sys.modules.get(base.__module__) if isinstance(base, type) else None
    modules = [m for m in (dbapi_module, driver_module, base_module) if m is not None]

    def find(name: str) -> list[type[BaseException]]:
        return [getattr(m, name) for m in modules if isinstance(getattr(m, name, None), type)]

    transient = tuple(find("OperationalError") + find("IntegrityError"))
    return transient, tuple(find("Error"))
