"""The registry of live containers, and what empties it: exit, Ctrl-C, SIGTERM, SIGHUP.

The Ryuk reaper is disabled (its image cannot be pulled without a registry), so bakeoff
removes its own containers: a provisioner's `stop()`, an `atexit` hook, and
`install_signal_cleanup()` for the catchable termination signals all go through this one
registry (`stop_all()`).

Inside `orderly_interrupts()` (a run), a signal instead raises `Interrupted` in the main
thread and removes nothing itself: the runner stops its workers, keeps what they
measured, then removes the engine through its provisioner, so no operation fails
because bakeoff took the engine away first. A process killed outright leaves its
containers, labelled with its pid, to `bakeoff runs recover`.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from types import FrameType
from typing import Any, Protocol

import psutil


class Removable(Protocol):
    def stop(self) -> None:
        """Remove what was started; safe to call again."""


_LIVE: dict[str, Removable] = {}
"""Provisioners that may own a container, by instance id. Plain dict operations only:
a signal handler runs in the main thread and must never wait for a lock."""
_PREVIOUS_HANDLERS: dict[int, Any] = {}
_IN_HANDLER: set[int] = set()


def track(instance: str, provisioner: Removable) -> None:
    """From now until `forget`, `provisioner` may own a container that must be removed."""
    _LIVE[instance] = provisioner


def forget(instance: str) -> None:
    _LIVE.pop(instance, None)


def live_provisioners() -> list[Removable]:
    return list(_LIVE.values())


def stop_all() -> None:
    """Remove every container this process started and has not removed yet.

    Called at exit and from the signal handlers; failures are reported on stderr, since
    nobody could act on an exception there.
    """
    for provisioner in list(_LIVE.values()):
        try:
            provisioner.stop()
        except Exception as error:
            print(f"bakeoff: could not remove a container: {error}", file=sys.stderr)


TERMINATION_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
"""The signals that ask a process to stop and that it may catch: Ctrl-C, `kill`,
`timeout`, `docker stop`, a CI cancellation, a closed terminal."""

_SIGHUP = getattr(signal, "SIGHUP", None)

_ABANDON_AFTER = 3
"""Signals inside an orderly stop: the first stops the run, a repeat is told to wait (a CI
cancel sends SIGINT then SIGTERM), the third abandons saving and exits at once."""


class Interrupted(KeyboardInterrupt):
    """A termination signal asked the process to stop. A KeyboardInterrupt, so every
    Ctrl-C path handles SIGTERM and SIGHUP alike."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal_name(signum))
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """The shell's convention for death by a signal: 130 for SIGINT, 143 for SIGTERM."""
        return 128 + self.signum


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


class _Orderly:
    """The state of `orderly_interrupts()`; plain attributes, since a signal handler must
    never wait for a lock."""

    depth = 0
    shielded = 0
    received: list[int] = []  # noqa: RUF012 - one process-wide state, never instantiated
    raised = False


def _say(text: str) -> None:
    # os.write, not print: the handler may have interrupted a print of the main thread.
    with contextlib.suppress(OSError):
        os.write(sys.stderr.fileno(), f"bakeoff: {text}\n".encode())


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if _Orderly.depth:
        _orderly_signal(signum)
        return
    if _IN_HANDLER:
        # A second Ctrl-C while containers are being removed must not abandon the rest.
        return
    _IN_HANDLER.add(signum)
    try:
        stop_all()
    finally:
        _IN_HANDLER.discard(signum)
    previous = _PREVIOUS_HANDLERS.get(signum)
    if callable(previous):
        previous(signum, frame)
        return
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    # SystemExit rather than dying by the signal: finally blocks and atexit still run.
    raise SystemExit(128 + signum)


def _orderly_signal(signum: int) -> None:
    _Orderly.received.append(signum)
    first = _Orderly.received[0]
    if len(_Orderly.received) >= _ABANDON_AFTER:
        _say(f"{signal_name(signum)} again: abandoning the results in flight")
        stop_all()
        os._exit(128 + first)
    if _Orderly.raised:
        _say(
            f"{signal_name(signum)}: already stopping and saving the results; "
            "a third signal abandons them"
        )
    elif not _Orderly.shielded:
        _Orderly.raised = True
        raise Interrupted(first)
    # Shielded: `shielded()` raises it when the write in progress is complete.


@contextlib.contextmanager
def orderly_interrupts() -> Iterator[None]:
    """While inside, a termination signal raises `Interrupted` in the main thread and
    leaves the containers to their provisioners; later signals do not interrupt the
    stopping and saving that follow, unless there are three. Needs
    `install_signal_cleanup()`; nests."""
    if _Orderly.depth == 0:
        _Orderly.received, _Orderly.raised = [], False
    _Orderly.depth += 1
    try:
        yield
    finally:
        _Orderly.depth -= 1


def pending_signal() -> int | None:
    """The termination signal `orderly_interrupts()` is stopping for, if any (a library
    that turns the handler's exception into a bare KeyboardInterrupt loses it)."""
    return _Orderly.received[0] if _Orderly.depth and _Orderly.received else None


def stopping() -> bool:
    """Has a termination signal asked the run in `orderly_interrupts()` to stop? While it
    stops, drivers log the connections it breaks; the CLI keeps those quiet."""
    return bool(_Orderly.depth and _Orderly.received)


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """A signal arriving inside (a result being written) is raised when it ends."""
    _Orderly.shielded += 1
    try:
        yield
    finally:
        _Orderly.shielded -= 1
    if _Orderly.depth and not _Orderly.shielded and _Orderly.received and not _Orderly.raised:
        _Orderly.raised = True
        raise Interrupted(_Orderly.received[0])


def install_signal_cleanup(signals: Sequence[signal.Signals] = TERMINATION_SIGNALS) -> None:
    """Make the termination signals remove all live containers first, then act as before.

    Outside `orderly_interrupts()`, the previous Python handler is chained (the default
    SIGINT handler still raises KeyboardInterrupt); where there was none, SIGINT raises
    KeyboardInterrupt and SIGTERM or SIGHUP SystemExit(128 + signal), so cleanup code
    further up still runs. Even a SIGINT or SIGTERM the process used to ignore now
    triggers cleanup and exit: a benchmark that survives Ctrl-C with containers running
    is worse. An ignored SIGHUP stays ignored: `nohup` asked for that. Call once, from
    the main thread (the CLI does); calling again is harmless.
    """
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("install_signal_cleanup() must be called from the main thread")
    for signum in signals:
        current = signal.getsignal(signum)
        if current is _on_signal or (signum == _SIGHUP and current is signal.SIG_IGN):
            continue
        _PREVIOUS_HANDLERS[signum] = current
        signal.signal(signum, _on_signal)


def process_alive(pid: int, started_by: float | None = None) -> bool:
    """Whether process `pid` of this machine exists, and (given `started_by`, a Unix
    time) is the one that existed then, not a later process that reuses its number."""
    try:
        created = psutil.Process(pid).create_time()
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:  # exists, but may not be inspected: assume it is the owner
        return True
    # create_time is rounded to clock ticks; a second of slack covers that.
    return started_by is None or created <= started_by + 1.0


atexit.register(stop_all)
# A forked child shares no ownership of its parent's containers; without this, its exit
# (or a signal it receives) would remove containers the parent is still using.
os.register_at_fork(after_in_child=_LIVE.clear)
