"""How a trial's connections wait for their replies, and in how many worker processes:
decided before the trial, from the options, the adapter's declared capabilities, the
workload and where the engine runs (docs/load-generator.md)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from bakeoff.adapters.protocol import Capability
from bakeoff.harness.clients import usable_cores
from bakeoff.harness.options import RunOptions, spin_wait_ns, split_connections
from bakeoff.harness.plan import Trial


@dataclass(frozen=True)
class ClientIo:
    split_phase: bool
    """One thread per process runs all its connections over one wait on their sockets."""
    spin_ns: int
    """How long that thread polls for a reply before it sleeps (0: it sleeps at once)."""

    @property
    def worker_processes(self) -> bool:
        """The connections run in spawned worker processes even if there is one: a
        polling thread holds the interpreter lock nearly all the time, and would starve
        the threads of bakeoff's own process (progress, telemetry, the live view)."""
        return self.spin_ns > 0


def trial_io(options: RunOptions, trial: Trial, *, faults: bool) -> tuple[RunOptions, ClientIo]:
    """The trial's options, its connections regrouped where `regrouped` says, and how
    they wait for their replies: the split-phase loop where it can run (a closed loop, an
    adapter that declares SPLIT_PHASE, a workload whose every operation has a split form,
    one socket per connection, no faults: each connection then reconnects on its own) and
    where a process has several connections to wait on together or polls for its replies
    (with one connection and no polling the extra wait before each read would only cost a
    system call)."""
    possible = (
        options.split_phase
        and options.rate is None
        and options.engine_options.read_from == "primary"
        and Capability.SPLIT_PHASE in trial.adapter.capabilities
        and trial.workload.operations.all_split_phase()
        and not faults
    )
    if not possible:
        return options, ClientIo(split_phase=False, spin_ns=0)
    cores = usable_cores()
    options = regrouped(options, trial, cores)
    spin_ns = spin_wait_ns(options, cores)
    return options, ClientIo(split_phase=options.clients > 1 or spin_ns > 0, spin_ns=spin_ns)


def regrouped(options: RunOptions, trial: Trial, cores: int) -> RunOptions:
    """With `--connections` (`options.auto_split`), split-phase connections to an engine
    server on this machine run in one worker process fewer than the cores: that core is
    the engine's, and one process waits on many connections as cheaply as on a few (as
    redis-benchmark's and pgbench's one thread do)."""
    on_this_machine = options.engine_options.starts_container(trial.engine)
    if not (options.auto_split and on_this_machine and options.cluster is None):
        return options
    processes, clients = split_connections(options.connections, cores, engine_cores=1)
    if processes >= options.processes:  # never more processes than were allowed
        return options
    return replace(options, processes=processes, clients=clients)
