"""Connections in worker processes: a ThreadClientGroup in a spawned process, driven by
the runner over a pipe, its progress and the stop flag in shared memory.

Python threads share one interpreter lock, so a single process saturates one core on
client work; worker processes scale past that.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import multiprocessing.connection
import os
import signal
import traceback
from typing import Any

from bakeoff.adapters.protocol import TableSpec
from bakeoff.core.schema import Schema
from bakeoff.engines.cleanup import TERMINATION_SIGNALS
from bakeoff.harness.clients import PhaseCommand, PhaseResult, ThreadClientGroup

__all__ = ["ProcessClientGroup", "SharedProgress"]

_CLOSE_S = 3.0


@functools.cache
def _context() -> Any:
    """Worker processes are forked from a fork server that has imported the harness once,
    not spawned afresh: a spawned interpreter imports bakeoff again for each worker
    process (about 2 s on a busy two-core machine, per trial). The server is started from
    no thread of the run, so forking it is safe where forking the runner is not."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["bakeoff.harness.worker_process"])
    return context


def _serve(
    pipe: multiprocessing.connection.Connection,
    progress: Any,
    stop: Any,
    slot: int,
    group_args: dict[str, Any],
) -> None:
    """Body of a worker process: a ThreadClientGroup driven by commands from the runner."""
    # Ctrl-C, `timeout` and a closed terminal signal the whole process group; the runner
    # decides, and tells us to stop through `stop` once it has what we measured.
    for signum in TERMINATION_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    runner_pid = os.getppid()
    group: ThreadClientGroup | None = None
    try:
        group = ThreadClientGroup(**group_args)
        while True:
            verb, argument = pipe.recv()
            if verb == "close":
                break
            try:
                if verb == "connect":
                    group.connect()
                    pipe.send(("ok", None))
                elif verb == "setup":
                    group.setup(argument)
                    pipe.send(("ok", None))
                elif verb == "phase":
                    group.start_phase(argument)
                    result = None
                    while result is None:
                        result = group.wait(0.1)
                        progress[slot] = group.completed()
                        # A runner killed outright (SIGKILL) can no longer tell us.
                        if stop.value or os.getppid() != runner_pid:
                            group.request_stop()
                    pipe.send(("ok", result))
            except Exception as exc:
                detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
                pipe.send(("error", detail))
    finally:
        if group is not None:
            group.close()
        pipe.close()


class ProcessClientGroup:
    """Connections as threads of a spawned worker process."""

    def __init__(self, slot: int, shared: SharedProgress, **group_args: Any) -> None:
        self.connections: list[int] = list(group_args["connections"])
        self._slot = slot
        self._shared = shared
        context = _context()
        self._pipe, child = context.Pipe()
        self._process = context.Process(
            target=_serve,
            args=(child, shared.progress, shared.stop, slot, group_args),
            name=f"bakeoff-client-{slot}",
            daemon=True,
        )
        self._process.start()
        child.close()
        self._pending = False

    def _call(self, verb: str, argument: object = None) -> object:
        self._pipe.send((verb, argument))
        return self._receive()

    def _receive(self) -> object:
        try:
            status, value = self._pipe.recv()
        except EOFError as exc:
            raise RuntimeError(
                f"client process {self._slot} died (exit code {self._process.exitcode})"
            ) from exc
        if status == "error":
            raise RuntimeError(f"client process {self._slot}: {value}")
        return value

    def connect(self) -> None:
        self._call("connect")

    def setup(self, table: TableSpec | Schema) -> None:
        self._call("setup", table)

    def start_phase(self, command: PhaseCommand) -> None:
        self._shared.progress[self._slot] = 0
        # A warm-up that became steady was stopped through the flag; this phase was not.
        self._shared.stop.value = 0
        self._pipe.send(("phase", command))
        self._pending = True

    def completed(self) -> int:
        return int(self._shared.progress[self._slot])

    def request_stop(self) -> None:
        self._shared.stop.value = 1

    def wait(self, timeout: float) -> PhaseResult | None:
        if not self._pending:
            return None
        if not self._pipe.poll(timeout):
            if not self._process.is_alive():
                raise RuntimeError(
                    f"client process {self._slot} died (exit code {self._process.exitcode})"
                )
            return None
        self._pending = False
        result = self._receive()
        assert isinstance(result, PhaseResult)
        return result

    def close(self) -> None:
        with contextlib.suppress(OSError, BrokenPipeError):
            self._pipe.send(("close", None))
        # A stopped worker answers at once; one stuck in a driver call is not waited for.
        self._process.join(_CLOSE_S)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(5)
        self._pipe.close()


class SharedProgress:
    """Per-process completed-operation counters and the stop flag, in shared memory."""

    def __init__(self, processes: int) -> None:
        context = _context()
        self.progress: Any = context.Array("q", processes, lock=False)
        self.stop: Any = context.Value("b", 0, lock=False)

    def reset(self) -> None:
        self.stop.value = 0
