"""The termination signals: inside a run they interrupt and leave the containers to the
runner; outside, they remove the containers first (engines/cleanup.py)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from bakeoff.engines import cleanup


class FakeContainer:
    stopped = 0

    def stop(self) -> None:
        self.stopped += 1


@contextlib.contextmanager
def own_handlers() -> Iterator[None]:
    """The process's signal handlers as they were before, whatever the test installs."""
    saved = {signum: signal.getsignal(signum) for signum in cleanup.TERMINATION_SIGNALS}
    previous = dict(cleanup._PREVIOUS_HANDLERS)
    try:
        yield
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
        cleanup._PREVIOUS_HANDLERS.clear()
        cleanup._PREVIOUS_HANDLERS.update(previous)


@pytest.fixture
def container() -> Iterator[FakeContainer]:
    """A tracked container, with bakeoff's handlers installed for the test only, over the
    handlers a fresh process has (a library an earlier test imported, Ray's driver say,
    may have left its own, which bakeoff's would chain to)."""
    with own_handlers():
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        cleanup._PREVIOUS_HANDLERS.clear()
        cleanup.install_signal_cleanup()
        fake = FakeContainer()
        cleanup.track("fake", fake)
        try:
            yield fake
        finally:
            cleanup.forget("fake")


def deliver(signum: int) -> None:
    signal.raise_signal(signum)
    time.sleep(0.01)  # the Python handler runs at the next bytecode boundary


def test_inside_a_run_a_signal_interrupts_and_leaves_the_container(
    container: FakeContainer,
) -> None:
    with cleanup.orderly_interrupts(), pytest.raises(cleanup.Interrupted) as caught:
        deliver(signal.SIGTERM)
    assert caught.value.signum == signal.SIGTERM
    assert caught.value.exit_code == 143
    assert isinstance(caught.value, KeyboardInterrupt)
    assert container.stopped == 0


def test_a_repeated_signal_does_not_interrupt_the_stopping(
    container: FakeContainer, capfd: pytest.CaptureFixture[str]
) -> None:
    with cleanup.orderly_interrupts():
        with pytest.raises(cleanup.Interrupted):
            deliver(signal.SIGINT)
        deliver(signal.SIGTERM)  # what a CI cancel sends next: must not raise
    assert "already stopping" in capfd.readouterr().err
    assert container.stopped == 0


def test_a_signal_during_a_write_is_raised_when_the_write_ends(container: FakeContainer) -> None:
    written = False
    with cleanup.orderly_interrupts(), pytest.raises(cleanup.Interrupted), cleanup.shielded():
        deliver(signal.SIGHUP)
        written = True
    assert written


def test_outside_a_run_sigterm_removes_the_containers_and_exits(
    container: FakeContainer,
) -> None:
    with pytest.raises(SystemExit) as caught:
        deliver(signal.SIGTERM)
    assert caught.value.code == 143
    assert container.stopped == 1


def test_process_alive_tells_a_gone_or_reused_pid() -> None:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    assert not cleanup.process_alive(int(child.stdout))
    assert cleanup.process_alive(os.getpid())
    assert cleanup.process_alive(os.getpid(), started_by=time.time())
    # A process that started after the container (or run) it is asked about reuses the pid.
    assert not cleanup.process_alive(os.getpid(), started_by=0.0)


def test_an_ignored_sighup_stays_ignored() -> None:
    """`nohup bakeoff run ...` must survive the terminal closing."""
    with own_handlers():
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        cleanup.install_signal_cleanup()
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
