"""The provisioner contract: something that makes an engine answer, then takes it away."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol

from bakeoff.core.endpoint import Endpoint
from bakeoff.core.telemetry import TelemetrySource


class ProvisioningError(RuntimeError):
    """The engine could not be started or reached; the message says why and what to do."""


class Provisioner(Protocol):
    """Starts one engine instance for one trial.

    `stop` must be safe to call more than once and after a failed `start`: the runner
    calls it from `finally` blocks and signal handlers so nothing is left running.
    """

    def start(self) -> Endpoint: ...

    def stop(self) -> None: ...

    def engine_cpu_seconds(self) -> float | None: ...

    def telemetry_source(self) -> TelemetrySource | None: ...

    def engine_memory_bytes(self) -> int | None: ...

    def __enter__(self) -> Endpoint: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class ProvisionerBase:
    """Context-manager plumbing shared by provisioners."""

    def start(self) -> Endpoint:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def engine_cpu_seconds(self) -> float | None:
        """CPU time the engine has used so far, where the provisioner can see it (a
        container's cgroup); None for engines that run inside the client process."""
        return None

    def telemetry_source(self) -> TelemetrySource | None:
        """The engine's resource use as telemetry (a container's cgroup) while it runs;
        None where the provisioner cannot see it apart from the client's."""
        return None

    def engine_memory_bytes(self) -> int | None:
        """Memory the engine uses now, where the provisioner can see it (a container's
        cgroup); None for engines that run inside the client process."""
        return None

    def __enter__(self) -> Endpoint:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
