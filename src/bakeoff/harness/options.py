"""The one set of run options: built by the CLI, the Python API or the pytest plugin,
read by the planner and the runner, and recorded in the manifest."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from bakeoff.core.faults import parse_faults
from bakeoff.engines.provisioning import EngineOptions

ARRIVALS = ("constant", "poisson")


@dataclass(frozen=True)
class RunOptions:
    """Everything `bakeoff run` can be told, besides which workloads and engines.

    Invalid combinations raise ValueError here, so every entry point refuses the same
    input with the same words.
    """

    # -- what each trial runs: overrides of the workload's own values --
    records: int | None = None
    """Records to load (None: the workload's)."""
    operations: int | None = None
    """Operations to measure (None: the workload's)."""
    duration_s: float | None = None
    """Seconds to measure instead of an operation count."""
    warmup_s: float | Literal["auto"] | None = None
    """Warm-up seconds, or auto: until throughput is steady (None: the workload's)."""
    seed: int | None = None
    repeat: int = 1
    """Independent trials per engine × workload, interleaved across engines."""
    reuse: bool = False
    """Keep each engine's container across trials, and its loaded table across trials of
    a workload that neither inserts nor deletes (so the data stays as loaded)."""
    settle: bool = True
    """After the load, run the engine's own maintenance of the table (VACUUM, ANALYZE,
    CHECKPOINT) where the adapter declares SETTLE, as pgbench -i does; False measures
    the table as the load left it, as YCSB does (harness/settle.py)."""

    # -- the load generator (docs/glossary.md: connection, worker process) --
    processes: int = 1
    """Worker processes. 1 runs the connections as threads of this process."""
    clients: int = 1
    """Connections per worker process."""
    auto_split: bool = False
    """processes × clients were picked by `split_connections` (`--connections`), so a
    trial may regroup them (harness/client_io.py `regrouped`)."""
    rate: float | None = None
    """Open loop: target operations per second over all connections; None: closed loop."""
    arrival: str = "constant"
    split_phase: bool = True
    """Closed loops run each process's connections in one thread that waits on all their
    sockets, where the adapter declares SPLIT_PHASE and every operation of the workload
    has a split form (docs/load-generator.md); False keeps a thread per connection."""
    spin_wait_us: float | None = None
    """Split-phase loops poll their sockets this long for a reply before they sleep, so
    that the client's CPU is not idle, and halted, when the reply arrives (docs/
    load-generator.md, "Polling for the reply"); 0: they sleep at once; None: chosen by
    `spin_wait_ns` (where the worker processes leave a core over), else 0."""
    interval_s: float = 1.0
    """Width of the result intervals."""
    telemetry: bool = True
    """Sample the container's and the engine's metrics per interval (docs/telemetry.md)."""
    telemetry_interval_s: float = 1.0
    """Seconds between telemetry readings, rounded up to whole result intervals."""
    prometheus_port: int | None = None
    """Serve live metrics for Prometheus on 127.0.0.1 at this port during the run."""
    cluster: str | None = None
    """Run the worker processes as actors of this Ray cluster (ray://HOST:PORT, HOST:PORT
    or auto; docs/distributed.md); None: on this machine."""

    # -- engines and results --
    engine_options: EngineOptions = field(default_factory=EngineOptions)
    models: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Schema workloads: engine -> the data models to run it under (one trial each);
    an engine not named runs under its adapter's default model."""
    output: Path = Path("results")
    """Folder that receives the run's folder."""
    faults: tuple[str, ...] = ()
    """Faults scheduled in every trial's measure phase, besides the workload's own
    (`--fault`, docs/faults.md)."""

    # -- the runner's own settings (not on the command line) --
    load_batch: int = 500
    verify_sample: int = 100
    adapter_options: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.operations is not None and self.duration_s is not None:
            raise ValueError("give --operations or --duration, not both")
        if self.arrival not in ARRIVALS:
            raise ValueError(f"--arrival {self.arrival!r}: expected constant or poisson")
        for name in ("processes", "clients", "repeat"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.rate is not None and self.rate <= 0:
            raise ValueError(f"rate must be positive, got {self.rate}")
        parse_faults(self.faults)  # FaultSyntaxError (a ValueError) names entry and field
        if self.spin_wait_us is not None and self.spin_wait_us < 0:
            raise ValueError(f"spin wait must be 0 or more µs, got {self.spin_wait_us}")
        if self.interval_s <= 0:
            raise ValueError(f"interval_s must be positive, got {self.interval_s}")
        if self.telemetry_interval_s <= 0:
            raise ValueError(
                f"telemetry interval must be positive, got {self.telemetry_interval_s}"
            )
        if self.prometheus_port is not None and not 0 <= self.prometheus_port < 65536:
            raise ValueError(f"--prometheus {self.prometheus_port}: not a port number")

    @property
    def connections(self) -> int:
        """Connections over all worker processes."""
        return self.processes * self.clients

    @property
    def keep(self) -> bool:
        """Keep embedded database files and the benchmark table after each trial."""
        return self.engine_options.keep

    def manifest(self) -> dict[str, object]:
        """The run's options as the manifest records them (no credentials: URLs are
        recorded per trial, redacted, by the endpoint)."""
        engines = self.engine_options
        return {
            "processes": self.processes,
            "clients_per_process": self.clients,
            "split_picked_by_bakeoff": self.auto_split,
            "rate": self.rate,
            "arrival": self.arrival,
            "repeat": self.repeat,
            "reuse": self.reuse,
            "settle": self.settle,
            "split_phase": self.split_phase,
            "spin_wait_us": self.spin_wait_us,
            "interval_s": self.interval_s,
            "telemetry": self.telemetry,
            "telemetry_interval_s": self.telemetry_interval_s if self.telemetry else None,
            "cluster": self.cluster,
            "faults": list(self.faults),
            "keep": engines.keep,
            "cpus": engines.cpus,
            "memory": engines.memory,
            "models": {engine: list(names) for engine, names in self.models.items()},
            "knob_names_checked_against": engines.knob_checks(),
            "topologies": dict(engines.topologies),
            "read_from": engines.read_from,
        }

    def describe_load(self) -> dict[str, object]:
        """How each trial's load is generated, as its manifest entry records it."""
        return {
            "processes": self.processes,
            "clients_per_process": self.clients,
            "connections": self.connections,
            "loop": "open" if self.rate else "closed",
            "target_ops_per_s": self.rate,
            "arrival": self.arrival if self.rate else None,
            "latency_kinds": ["service", "response"] if self.rate else ["service"],
            "executor": "ray" if self.cluster else "local",
        }


def split_connections(connections: int, cores: int, *, engine_cores: int = 0) -> tuple[int, int]:
    """A processes × clients split for `connections` connections.

    One process per usable core (but the `engine_cores` left to an engine on this
    machine), the remaining connections as threads in them; the split multiplies out to
    exactly `connections`. One process drives at most one core of client work (the
    interpreter lock), and the drivers release it while they wait for the server, so more
    processes than cores only add switching: measured on 2 cores at 8 connections
    (docs/load-generator.md), 2 × 4 beat 4 × 2 and 8 × 1 for both psycopg (libpq) and
    redis-py with a thread per connection.
    """
    most = max(1, min(connections, cores - engine_cores))
    processes = max(p for p in range(1, most + 1) if connections % p == 0)
    return processes, connections // processes


AUTO_SPIN_US = 200.0
"""Polling time when none is asked for, one connection per process: above a round trip
to an engine on this machine (30-100 µs measured), so a reply that comes at all comes
while the client still polls."""

AUTO_SPIN_SHARED_US = 20.0
"""Polling time when none is asked for, several connections per process: about the gap
between two of their replies, so the client's CPU seldom halts between them, while a
longer poll mostly takes CPU time from the engine (docs/load-generator.md)."""


def spin_wait_ns(options: RunOptions, cores: int) -> int:
    """How long a split-phase loop polls for a reply before it sleeps, in ns, on a
    machine with `cores` usable cores. Asked for: that. Otherwise, where the worker
    processes leave a core over (a polling process keeps its own core busy), on this
    machine only (a cluster's nodes are not this machine's to judge): `AUTO_SPIN_US` for
    one connection per process (its CPU would halt between every reply and the next
    request), `AUTO_SPIN_SHARED_US` for several (replies come closer together; a halted
    CPU between them still makes the engine's wake-ups dearer: measured in
    docs/load-generator.md); else 0."""
    if options.spin_wait_us is not None:
        return round(options.spin_wait_us * 1000)
    if options.cluster is None and options.processes < cores:
        return round((AUTO_SPIN_US if options.clients == 1 else AUTO_SPIN_SHARED_US) * 1000)
    return 0
