"""Waiting for a fresh server: repeat its readiness probe until it answers or time is up."""

from __future__ import annotations

import time
from collections.abc import Callable

from bakeoff.engines.base import ProvisioningError
from bakeoff.engines.protocol import ReadinessProbe


class NotReadyError(ProvisioningError):
    def __init__(self, message: str, last_error: BaseException | None) -> None:
        super().__init__(message)
        self.last_error = last_error


def wait_until_ready(
    probe: ReadinessProbe,
    *,
    timeout_s: float,
    check_alive: Callable[[], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Repeat `probe.attempt()` with growing pauses until it succeeds; the attempt count.

    The pauses start at 20 ms (servers here answer within a second) and grow to 0.5 s so
    a slow engine is not flooded. `check_alive` raises when waiting is pointless (the
    container exited). Raises NotReadyError at the deadline.
    """
    deadline = clock() + timeout_s
    pause = 0.02
    attempts = 0
    while True:
        attempts += 1
        try:
            probe.attempt()
        except Exception as error:
            last_error: Exception = error
        else:
            return attempts
        if check_alive is not None:
            check_alive()
        remaining = deadline - clock()
        if remaining <= 0:
            raise NotReadyError(
                f"no answer to {probe.describe()} within {timeout_s:g} s after {attempts} "
                f"attempts (last error: {last_error})",
                last_error,
            )
        sleep(min(pause, remaining))
        pause = min(pause * 1.5, 0.5)
