"""Progress for the command line: a live rich display on a terminal, plain lines otherwise
(CI logs, pipes), so long runs are never silent."""

from __future__ import annotations

import sys
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from bakeoff.core.formats import format_fixed


class RichProgress:
    """A bar per phase; count-bound phases show operations, time-bound ones seconds."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self._task: TaskID | None = None
        self._by_time = False
        self._label = ""

    def trial_started(self, label: str) -> None:
        self._label = label
        self._progress.start()

    def phase_started(self, phase: str, total_ops: int | None, duration_s: float | None) -> None:
        self._by_time = total_ops is None and duration_s is not None
        total = duration_s if self._by_time else total_ops
        self._task = self._progress.add_task(f"{self._label}: {phase}", total=total, rate="")

    def advance(self, completed_ops: int, elapsed_s: float) -> None:
        if self._task is None:
            return
        rate = f"{format_fixed(completed_ops / elapsed_s)} ops/s" if elapsed_s > 0 else ""
        done = elapsed_s if self._by_time else completed_ops
        self._progress.update(self._task, completed=done, rate=rate)

    def phase_finished(self, phase: str, completed_ops: int, elapsed_s: float) -> None:
        if self._task is not None:
            self._progress.remove_task(self._task)
            self._task = None
        rate = completed_ops / elapsed_s if elapsed_s > 0 else 0.0
        self.console.print(
            f"  {self._label}: {phase} {completed_ops:,} ops in {elapsed_s:.1f} s "
            f"({format_fixed(rate)} ops/s)"
        )

    def trial_finished(self, label: str, status: str, detail: str) -> None:
        self._progress.stop()
        style = "green" if status == "ok" else "red"
        suffix = f": {detail}" if detail else ""
        self.console.print(f"[{style}]{label}: {status}{suffix}[/{style}]")


class PlainProgress:
    """One line per phase and a line every `every_s` seconds while a phase runs."""

    def __init__(self, stream: TextIO | None = None, every_s: float = 10.0) -> None:
        self.stream = stream or sys.stderr
        self.every_s = every_s
        self._next = every_s
        self._label = ""
        self._phase = ""

    def _say(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def trial_started(self, label: str) -> None:
        self._label = label
        self._say(f"{label}: starting")

    def phase_started(self, phase: str, total_ops: int | None, duration_s: float | None) -> None:
        self._phase = phase
        self._next = self.every_s
        goal = f"{total_ops:,} ops" if total_ops is not None else f"{duration_s:g} s"
        self._say(f"{self._label}: {phase} ({goal})")

    def advance(self, completed_ops: int, elapsed_s: float) -> None:
        if elapsed_s >= self._next:
            self._next += self.every_s
            self._say(
                f"{self._label}: {self._phase} {completed_ops:,} ops, {elapsed_s:.0f} s, "
                f"{format_fixed(completed_ops / elapsed_s)} ops/s"
            )

    def phase_finished(self, phase: str, completed_ops: int, elapsed_s: float) -> None:
        rate = completed_ops / elapsed_s if elapsed_s > 0 else 0.0
        self._say(
            f"{self._label}: {phase} done, {completed_ops:,} ops in {elapsed_s:.1f} s "
            f"({format_fixed(rate)} ops/s)"
        )

    def trial_finished(self, label: str, status: str, detail: str) -> None:
        suffix = f": {detail}" if detail else ""
        self._say(f"{label}: {status}{suffix}")
