"""A connection that lost its engine during a fault connects again, or lets the phase
end without calling that a failure; only an engine that never returns fails it."""

from __future__ import annotations

import time
from typing import Any

from bakeoff.harness import reconnect as reconnect_module
from bakeoff.harness.loadgen import ConnectionState
from bakeoff.harness.reconnect import reconnect, run_reconnecting


class Flaky:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.connects = 0

    def connect(self, endpoint: Any, options: Any) -> None:
        self.connects += 1
        if self.connects <= self.failures:
            raise ConnectionError("refused")

    def setup(self, table: Any) -> None: ...

    def close(self) -> None: ...


def test_it_connects_again_and_clears_the_error() -> None:
    state = ConnectionState(fatal_error="gone")
    adapter = Flaky(failures=2)
    assert reconnect(adapter, None, {}, None, state, None)
    assert adapter.connects == 3 and state.fatal_error is None


def test_the_phase_ending_during_the_outage_is_not_a_failure() -> None:
    state = ConnectionState(fatal_error="gone")
    deadline = time.perf_counter_ns() + 100_000_000
    assert not reconnect(Flaky(failures=10**6), None, {}, None, state, deadline)
    assert state.fatal_error is None


def test_an_engine_that_never_returns_keeps_the_error(monkeypatch: Any) -> None:
    monkeypatch.setattr(reconnect_module, "RECONNECT_BUDGET_S", 0.1)
    state = ConnectionState(fatal_error="gone")
    assert not reconnect(Flaky(failures=10**6), None, {}, None, state, None)
    assert state.fatal_error == "gone"


def test_the_loop_goes_on_with_the_operations_left() -> None:
    state = ConnectionState()
    asked: list[int | None] = []

    def run(operations: int | None) -> None:
        asked.append(operations)
        state.completed += 10
        state.fatal_error = "lost" if len(asked) == 1 else None

    run_reconnecting(run, 25, state, lambda: True)
    assert asked == [25, 15]
    asked.clear()
    state.completed = 0
    run_reconnecting(run, None, state, None)  # without faults a fatal error ends it
    assert asked == [None] and state.fatal_error == "lost"
