"""How the runner tells the user where it is. The runner polls workers' counters from the
main thread, so nothing here runs on the measured path."""

from __future__ import annotations

from typing import Protocol


class ProgressSink(Protocol):
    def trial_started(self, label: str) -> None: ...

    def phase_started(self, phase: str, total_ops: int | None, duration_s: float | None) -> None:
        """`total_ops` for a count-bound phase, `duration_s` for a time-bound one."""

    def advance(self, completed_ops: int, elapsed_s: float) -> None: ...

    def phase_finished(self, phase: str, completed_ops: int, elapsed_s: float) -> None: ...

    def trial_finished(self, label: str, status: str, detail: str) -> None: ...


class SilentProgress:
    def trial_started(self, label: str) -> None:
        pass

    def phase_started(self, phase: str, total_ops: int | None, duration_s: float | None) -> None:
        pass

    def advance(self, completed_ops: int, elapsed_s: float) -> None:
        pass

    def phase_finished(self, phase: str, completed_ops: int, elapsed_s: float) -> None:
        pass

    def trial_finished(self, label: str, status: str, detail: str) -> None:
        pass
