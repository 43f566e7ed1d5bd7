"""The registry of live containers, and what empties it: exit, Ctrl-C and SIGTERM.

The Ryuk reaper is disabled (its image cannot be pulled without a registry), so bakeoff
removes its own containers: a provisioner's `stop()`, an `atexit` hook, and
`install_signal_cleanup()` for Ctrl-C and SIGTERM all go through this one registry
(`stop_all()`).
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import Any, Protocol


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


def _on_signal(signum: int, frame: FrameType | None) -> None:
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


def install_signal_cleanup(
    signals: Sequence[signal.Signals] = (signal.SIGINT, signal.SIGTERM),
) -> None:
    """Make SIGINT and SIGTERM remove all live containers first, then act as before.

    The previous Python handler is chained (the default SIGINT handler still raises
    KeyboardInterrupt); where there was none, SIGINT raises KeyboardInterrupt and SIGTERM
    raises SystemExit(143), so cleanup code further up still runs. Even a signal the
    process used to ignore now triggers cleanup and exit: a benchmark that survives
    Ctrl-C with containers running is worse. Call once, from the main thread (the CLI
    does); calling again is harmless.
    """
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("install_signal_cleanup() must be called from the main thread")
    for signum in signals:
        current = signal.getsignal(signum)
        if current is _on_signal:
            continue
        _PREVIOUS_HANDLERS[signum] = current
        signal.signal(signum, _on_signal)


atexit.register(stop_all)
# A forked child shares no ownership of its parent's containers; without this, its exit
# (or a signal it receives) would remove containers the parent is still using.
os.register_at_fork(after_in_child=_LIVE.clear)
