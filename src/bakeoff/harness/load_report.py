"""Did the load generator keep up? Client CPU, engine CPU, rate and backlog of a phase."""

from __future__ import annotations

from collections.abc import Sequence

from bakeoff.harness.clients import PhaseCommand, PhaseResult, usable_cores

SATURATION = 0.9
"""Share of its CPU capacity above which the client, not the engine, may be the limit."""


def load_report(
    command: PhaseCommand,
    results: Sequence[PhaseResult],
    wall_s: float,
    completed: int,
    duration_s: float | None,
    engine_cpu_start: float | None,
    engine_cpu_end: float | None,
    *,
    connections: int,
    embedded: bool,
    engine_memory_bytes: int | None = None,
) -> dict[str, object]:
    """Did the load generator keep up? Client CPU, engine CPU and memory (at the end of
    the phase), rate and backlog."""
    per_process = [r.cpu_s / r.wall_s if r.wall_s > 0 else 0.0 for r in results]
    cores = usable_cores()
    client_cpu = sum(r.cpu_s for r in results)
    report: dict[str, object] = {
        "client_io": (
            "split-phase: one thread per process waits on all its connections"
            + (
                f", polling {command.spin_ns / 1000:g} µs before it sleeps"
                if command.spin_ns
                else ""
            )
            if command.split_phase
            else "blocking: one thread per connection"
        ),
        "wall_s": round(wall_s, 6),
        "operations": completed,
        "achieved_ops_per_s": completed / wall_s if wall_s > 0 else 0.0,
        "client_cpu_s": client_cpu,
        "client_cpu_per_op_us": client_cpu / completed * 1e6 if completed else None,
        "client_process_utilisation": per_process,
        "usable_cores": cores,
        "engine_cpu_s": (
            engine_cpu_end - engine_cpu_start
            if engine_cpu_start is not None and engine_cpu_end is not None
            else None
        ),
        "engine_memory_bytes": engine_memory_bytes,
    }
    # One process runs Python on at most one core (the GIL); several share the cores.
    saturated = bool(per_process) and (
        max(per_process) >= SATURATION or client_cpu / wall_s >= SATURATION * cores
    )
    if embedded:
        # The engine itself runs in the client processes: their CPU is its work.
        report["client_saturated"] = None
        report["client_saturation_note"] = "embedded engine: runs inside the client"
    else:
        report["client_saturated"] = saturated
    if command.rate_per_connection is not None:
        target = command.rate_per_connection * connections
        report["target_ops_per_s"] = target
        report["late_operations"] = sum(r.late for r in results)
        if duration_s is not None:
            report["backlog_operations"] = max(0, round(target * wall_s) - completed)
    return report
