"""A connection that lost its engine to a scheduled fault connects again and goes on.

Without faults a fatal error (the server is gone) ends the connection and the trial.
While a fault schedule runs, losing the server is the point: the connection records
the error, then tries to connect again, every RECONNECT_PAUSE_S, until the phase ends or
RECONNECT_BUDGET_S have passed; meanwhile it completes nothing, which is how an outage
shows in the intervals. The adapters still never retry an operation themselves.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from typing import Any

from bakeoff.harness.loadgen import ConnectionState

RECONNECT_PAUSE_S = 0.05
RECONNECT_BUDGET_S = 120.0


def reconnect(
    adapter: Any,
    endpoint: Any,
    options: Mapping[str, str],
    table: Any,
    state: ConnectionState,
    deadline_ns: int | None,
) -> bool:
    """Connect `adapter` again (connect, then setup: prepared statements, scripts);
    True once it is, with the fatal error cleared. False when the phase ends first (the
    error cleared too: the phase merely ended during the outage) or when the budget is
    spent (the error stays: the engine never came back)."""
    give_up = time.monotonic() + RECONNECT_BUDGET_S
    while not state.stop_requested and time.monotonic() < give_up:
        if deadline_ns is not None and time.perf_counter_ns() >= deadline_ns:
            state.fatal_error = None
            return False
        with contextlib.suppress(Exception):
            adapter.close()
        try:
            adapter.connect(endpoint, options)
            adapter.setup(table)
        except Exception:
            time.sleep(RECONNECT_PAUSE_S)
            continue
        state.fatal_error = None
        return True
    return False


def run_reconnecting(
    run: Callable[[int | None], None],
    operations: int | None,
    state: ConnectionState,
    again: Callable[[], bool] | None,
) -> None:
    """`run(operations left)` until done; with `again` (faults are scheduled), a run
    that ended on a fatal error goes on once `again()` has reconnected."""
    while True:
        run(None if operations is None else operations - state.completed)
        if state.fatal_error is None or again is None or state.stop_requested or not again():
            return
