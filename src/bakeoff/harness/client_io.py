"""How a trial's connections wait for their replies, and in how many worker processes:
decided before the trial, from the options, the adapter's declared capabilities, the
workload and where the engine runs (docs/load-generator.md)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from bakeoff.adapters.protocol import Capability
from bakeoff.engines.catalog import Provision
from bakeoff.harness.clients import usable_cores
from bakeoff.harness.options import RunOptions, spin_wait_ns, split_connections
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


def trial_io(options: RunOptions, trial: Trial, *, faults: bool) -> tuple[RunOptions, ClientIo]:
    """The trial's options, its connections regrouped where `regrouped` says, and how
    they wait for their replies."""
    cores = usable_cores()
    if _can_split_phase(options, trial, faults=faults):
        options = regrouped(options, trial, cores)
    return options, client_io(options, trial, faults=faults, cores=cores)


def regrouped(options: RunOptions, trial: Trial, cores: int) -> RunOptions:
    """With `--connections` (`options.auto_split`), split-phase connections to an engine
    server on this machine run in one worker process fewer than the cores: that core is
    the engine's, and one process waits on many connections as cheaply as on a few (as
    redis-benchmark's and pgbench's one thread do)."""
    spec = trial.engine
    on_this_machine = (
        spec.provision is Provision.CONTAINER
        and spec.name not in options.engine_options.urls
        and options.cluster is None
    )
    if not (options.auto_split and on_this_machine):
        return options
    processes, clients = split_connections(options.connections, cores, engine_cores=1)
    if processes >= options.processes:  # never more processes than were allowed
        return options
    return replace(options, processes=processes, clients=clients)


def _can_split_phase(options: RunOptions, trial: Trial, *, faults: bool) -> bool:
    """A closed loop, an adapter that declares SPLIT_PHASE, a workload whose every
    operation has a split form, one socket per connection, no faults (each connection
    then reconnects on its own)."""
    return (
        options.split_phase
        and options.rate is None
        and options.engine_options.read_from == "primary"
        and Capability.SPLIT_PHASE in trial.adapter.capabilities
        and trial.workload.operations.all_split_phase()
        and not faults
    )


def client_io(
    options: RunOptions, trial: Trial, *, faults: bool, cores: int | None = None
) -> ClientIo:
    """The split-phase loop where it can run (`_can_split_phase`) and where a process has
    several connections to wait on together or polls for its replies (with one
    connection and no polling the extra wait before each read would only cost a system
    call)."""
    spin_ns = spin_wait_ns(options, usable_cores() if cores is None else cores)
    split_phase = _can_split_phase(options, trial, faults=faults) and (
        options.clients > 1 or spin_ns > 0
    )
    polls = split_phase and spin_ns > 0
    return ClientIo(split_phase, spin_ns if polls else 0, worker_processes=polls)
