"""Waiting for a server: growing pauses, a deadline, and giving up when it is gone."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bakeoff.engines.base import ProvisioningError
from bakeoff.engines.readiness import NotReadyError, wait_until_ready


class _Probe:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def attempt(self) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionRefusedError("not yet")

    def describe(self) -> str:
        return "test probe"


def _fake_clock() -> tuple[Callable[[], float], Callable[[float], None], list[float]]:
    now = [0.0]
    pauses: list[float] = []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        now[0] += seconds

    return (lambda: now[0]), sleep, pauses


def test_readiness_backs_off_until_the_server_answers() -> None:
    clock, sleep, pauses = _fake_clock()
    assert wait_until_ready(_Probe(5), timeout_s=10, clock=clock, sleep=sleep) == 6
    assert pauses == sorted(pauses) and pauses[0] < pauses[-1] <= 0.5


def test_readiness_gives_up_at_the_deadline_with_the_last_error() -> None:
    clock, sleep, pauses = _fake_clock()
    with pytest.raises(NotReadyError, match="within 2 s") as caught:
        wait_until_ready(_Probe(10**6), timeout_s=2, clock=clock, sleep=sleep)
    assert isinstance(caught.value.last_error, ConnectionRefusedError)
    assert sum(pauses) == pytest.approx(2)


def test_readiness_stops_waiting_when_the_container_is_gone() -> None:
    clock, sleep, _ = _fake_clock()

    def exited() -> None:
        raise ProvisioningError("container exited")

    with pytest.raises(ProvisioningError, match="exited"):
        wait_until_ready(_Probe(10), timeout_s=60, check_alive=exited, clock=clock, sleep=sleep)
