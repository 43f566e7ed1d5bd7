"""The one error hierarchy adapters raise; the harness counts failures per kind."""

from __future__ import annotations

import sys
from collections.abc import Iterable
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


CORE = "(core)"
"""The extra of what bakeoff installs without one (SQLite's driver is Python's own)."""


def pip_install(extras: Iterable[str]) -> str:
    """The one pip line that installs bakeoff with `extras`, brackets and quotes included
    (a shell would expand the brackets, and rich markup would eat them: print it plainly)."""
    names = sorted({e for e in extras if e and e != CORE})
    return f"pip install 'bakeoff[{','.join(names)}]'" if names else "pip install bakeoff"


def missing_driver(engine: str, error: ModuleNotFoundError, extra: str | None) -> FatalError:
    """The error an adapter raises from `connect` when its driver is not installed;
    `extra` is the pip extra that installs it (None: it depends on the engine)."""
    how = pip_install([extra]) if extra else "install bakeoff with the engine's extra"
    return FatalError(f"the driver for {engine} is not installed ({error.name}): {how}")


def dbapi_exceptions(
    dbapi_module: Any, driver_connection: Any
) -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """A PEP 249 driver's exception classes: (transient, any driver error).

    Some dialects' DBAPI shims omit them, so fall back to the driver's top-level module.
    """
    driver_module = sys.modules.get(type(driver_connection).__module__.split(".")[0])
    modules = [m for m in (dbapi_module, driver_module) if m is not None]

    def find(name: str) -> list[type[BaseException]]:
        return [getattr(m, name) for m in modules if isinstance(getattr(m, name, None), type)]

    transient = tuple(find("OperationalError") + find("IntegrityError"))
    return transient, tuple(find("Error"))
