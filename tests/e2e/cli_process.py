"""A `bakeoff` command line running in a child process, for tests that signal it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def _sighup_default() -> Iterator[None]:
    hup = getattr(signal, "SIGHUP", None)
    if hup is None or signal.getsignal(hup) is not signal.SIG_IGN:
        yield
        return
    signal.signal(hup, signal.SIG_DFL)
    try:
        yield
    finally:
        signal.signal(hup, signal.SIG_IGN)


class RunningBakeoff:
    """`python -m bakeoff ARGS` in its own session (so a signal can reach its whole
    process group, as `timeout` and a terminal send it), its stderr read as it comes."""

    def __init__(self, *args: str, cwd: Path) -> None:
        # An ignored SIGHUP (the tests started under `nohup`) would be inherited, and
        # bakeoff rightly keeps it ignored: the child starts as from a terminal.
        with _sighup_default():
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bakeoff", *args],
                cwd=cwd,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"},
                start_new_session=True,
            )
        self._lines: list[str] = []
        self._stdout: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(self.proc.stderr, self._lines)),
            threading.Thread(target=self._read, args=(self.proc.stdout, self._stdout)),
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream: object, into: list[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            into.append(line)

    @property
    def stderr(self) -> str:
        return "".join(self._lines)

    @property
    def stdout(self) -> str:
        return "".join(self._stdout)

    def wait_for(self, text: str, count: int = 1, timeout: float = 120) -> None:
        """Until `text` appeared in `count` lines of stderr."""
        deadline = time.monotonic() + timeout
        while sum(text in line for line in list(self._lines)) < count:
            if self.proc.poll() is not None:
                raise AssertionError(f"bakeoff exited before {text!r}:\n{self.stderr}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} within {timeout} s:\n{self.stderr}")
            time.sleep(0.05)

    def signal_group(self, signum: int) -> None:
        os.killpg(self.proc.pid, signum)

    def finish(self, timeout: float = 60) -> float:
        """Wait for the exit; the seconds it took."""
        started = time.monotonic()
        try:
            self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            for reader in self._readers:
                reader.join(10)
        return time.monotonic() - started
