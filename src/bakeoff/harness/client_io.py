"""How a trial's connections wait for their replies: decided before the trial, from the
options, the adapter's declared capabilities and the workload (docs/load-generator.md)."""

from __future__ import annotations

from dataclasses import dataclass

from bakeoff.adapters.protocol import Capability
from bakeoff.harness.clients import usable_cores
from bakeoff.harness.options import RunOptions, spin_wait_ns
from bakeoff.harness.plan import Trial


@dataclass(frozen=True)
class ClientIo:
    split_phase: bool
    """One thread per process runs all its connections over one wait on their sockets."""
    spin_ns: int
    """How long that thread polls for a reply before it sleeps (0: it sleeps at once)."""
    worker_processes: bool
    """The connections run in spawned worker processes even if there is one: a polling
    thread holds the interpreter lock nearly all the time, and would starve the threads
    of bakeoff's own process (progress, telemetry, the live view)."""


def client_io(options: RunOptions, trial: Trial, *, faults: bool) -> ClientIo:
    """The split-phase loop where it can run: a closed loop, an adapter that declares
    SPLIT_PHASE, a workload whose every operation has a split form, one socket per
    connection, no faults (each connection then reconnects on its own); and where a
    process has several connections to wait on together or spins for its replies (with
    one connection and no spin the extra wait before each read would only cost a system
    call)."""
    spin_ns = spin_wait_ns(options, usable_cores())
    split_phase = (
        options.split_phase
        and (options.clients > 1 or spin_ns > 0)
        and options.rate is None
        and options.engine_options.read_from == "primary"
        and Capability.SPLIT_PHASE in trial.adapter.capabilities
        and trial.workload.operations.all_split_phase()
        and not faults
    )
    polls = split_phase and spin_ns > 0
    return ClientIo(split_phase, spin_ns if polls else 0, worker_processes=polls)
