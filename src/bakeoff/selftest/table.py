"""The selftest's verdicts: the bars of issue 19, the table and the JSON object."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bakeoff.selftest.wakeup import PENALTY_US

GOYCSB_BARS: Sequence[tuple[str, str, float]] = tuple(
    (f"goycsb_{prefix}_{w}_ratio_{n}", ">=", 1.0)
    for prefix in ("redis", "pg")
    for w in ("a", "c")
    for n in (1, 8)
)

BARS: Sequence[tuple[str, str, float]] = (
    ("noop_us_per_op", "<=", 0.5),
    ("redis_ratio_1", ">=", 0.9),
    ("redis_ratio_8", ">=", 0.9),
    ("pg_ratio_1", ">=", 0.9),
    ("pg_ratio_8", ">=", 0.9),
    ("redis_client_cpu_ratio_8", "<=", 1.3),
    ("pg_client_cpu_ratio_8", "<=", 1.3),
    ("memory_ratio_10m_1m", "<=", 1.1),
    *GOYCSB_BARS,
)

BUSY_LOAD_PER_CORE = 0.5
"""A one-minute load average above half a process per core at the start: the selftest's
figures then measure the machine's other work as well."""

_PEERS = (
    ("redis", "redis-benchmark"),
    ("pg", "pgbench -S -M prepared"),
    ("pg_rows", "pgbench on bakeoff's rows"),
)


def notes(figures: dict[str, Any]) -> list[str]:
    """What limits the figures: the proxy, the machine's idle behaviour, go-ycsb's errors."""
    found = []
    if figures.get("proxy_caps_ratios"):
        found.append(
            "The published ports went through docker-proxy (dockerd's userland proxy): it "
            "copies every byte and caps every tool, so these ratios are capped by the proxy. "
            "Start dockerd with --userland-proxy=false to measure the clients."
        )
    load = (figures.get("load_average_start") or [0.0])[0]
    cores = figures.get("machine_cores") or 1
    if load > BUSY_LOAD_PER_CORE * cores:
        found.append(
            f"The machine was busy when the selftest started (load average {load:.1f} on "
            f"{cores} cores): every figure shares the CPUs with other processes."
        )
    wakeup = figures.get("wakeup") or {}
    if wakeup.get("one_connection_reliable") is False:
        found.append(
            f"One-connection figures are unreliable here: idle CPUs are slow to wake (probe "
            f"round trip {wakeup['wakeup_round_trip_idle_us']:.0f} µs idle, "
            f"{wakeup['wakeup_round_trip_busy_us']:.0f} µs with a busy loop alongside; over "
            f"{PENALTY_US:g} µs apart), so they change with how busy the machine is "
            "(docs/load-generator.md, 'Idle CPUs and one connection')."
        )
    for key, value in sorted(figures.items()):
        if key.startswith("goycsb_") and isinstance(value, dict) and value.get("errors"):
            # The interrupt that ends a run fails the operation each connection had in
            # flight: up to one error per connection and round is that, not the engine
            # (the errors are summed over the rounds).
            connections = int(key.rpartition("_")[2])
            if sum(value["errors"].values()) > connections * figures.get("rounds", 1):
                found.append(f"{key}: go-ycsb failed operations {value['errors']}")
    return found


def format_table(figures: dict[str, Any]) -> str:
    rounds = figures.get("rounds", 1)
    spread = figures.get("per_round", {})
    ranged = rounds > 1 and bool(spread)
    header = f"{'figure':34s} {'value':>12s}"
    lines = [header + (f" {f'range ({rounds} rounds)':>16s}" if ranged else "") + "  bar"]
    lines += [
        _verdict(key, op, bar, figures.get(key), _range(spread.get(key)) if ranged else None)
        for key, op, bar in BARS
    ]
    lines.append("")
    lines += _comparisons(figures)
    if "memory_peak_rss_short_mb" in figures:
        lines.append(
            f"memory: {figures['memory_peak_rss_short_mb']:.0f} MB peak after "
            f"{figures['memory_short_run_s']:g} s, {figures['memory_peak_rss_long_mb']:.0f} MB "
            f"after {figures['memory_long_run_s']:g} s"
        )
    if "proxy" in figures:
        lines.append(f"port forwarding: {figures['proxy']}")
    if "load_average_start" in figures:
        load = ", ".join(f"{x:.2f}" for x in figures["load_average_start"])
        lines.append(f"load average at start: {load}")
    lines.extend(f"NOTE: {note}" for note in notes(figures))
    return "\n".join(lines)


def _range(values: list[float | None] | None) -> str:
    """A figure's lowest and highest value over the rounds (blank: not measured in
    rounds, like the memory figure)."""
    present = [v for v in values or [] if v is not None]
    return f"{min(present):.3f}-{max(present):.3f}" if present else ""


def _verdict(key: str, op: str, bar: float, value: float | None, spread: str | None) -> str:
    """The figure, its range over the rounds (None: not shown), its bar and the verdict
    on the figure (the median, when there are rounds)."""
    shown = f"{key:34s} " + (f"{'n/a':>12s}" if value is None else f"{value:12.3f}")
    if spread is not None:
        shown += f" {spread:>16s}"
    if value is None:
        return f"{shown}  {op} {bar}"
    met = value <= bar if op == "<=" else value >= bar
    return f"{shown}  {op} {bar}  {'met' if met else 'NOT MET'}"


def _comparisons(figures: dict[str, Any]) -> list[str]:
    """One line per tool pair measured: bakeoff's figures beside the peer's."""
    lines = []
    for prefix, peer in _PEERS:
        for n in (1, 8):
            ours, native = figures.get(f"{prefix}_bakeoff_{n}"), figures.get(f"{prefix}_native_{n}")
            if ours and native:
                split = figures.get(f"{prefix}_split_{n}", "")
                lines.append(f"{prefix} {n} conn ({split}): {_pair(ours, peer, native)}")
                lines.append(_ratio_line(figures, prefix, n))
    if figures.get("goycsb_binary") is None:
        lines.append("go-ycsb: not run (name a binary with --go-ycsb or BAKEOFF_GO_YCSB)")
    for prefix in ("redis", "pg"):
        for w in ("a", "c"):
            for n in (1, 8):
                key = f"goycsb_{prefix}_{w}"
                ours, theirs = figures.get(f"{key}_bakeoff_{n}"), figures.get(f"{key}_goycsb_{n}")
                if ours and theirs:
                    lines.append(f"{prefix} {w.upper()} {n} conn: {_pair(ours, 'go-ycsb', theirs)}")
                    lines.append(_ratio_line(figures, key, n))
    return lines


def _ratio_line(figures: dict[str, Any], key: str, n: int) -> str:
    kinds = (("ops/s", "ratio"), ("p50", "p50_ratio"), ("p99", "p99_ratio"))
    parts = [_times(name, figures.get(f"{key}_{suffix}_{n}")) for name, suffix in kinds]
    parts.append(_times("cpu/op", figures.get(f"{key}_client_cpu_ratio_{n}")))
    return "    bakeoff / peer: " + ", ".join(parts)


def _times(name: str, value: float | None) -> str:
    return f"{name} n/a" if value is None else f"{name} {value:.2f}x"


def _pair(ours: dict[str, Any], peer: str, theirs: dict[str, Any]) -> str:
    return f"bakeoff {_tool(ours)} | {peer} {_tool(theirs)}"


def _tool(m: dict[str, Any]) -> str:
    return (
        f"{m['ops_per_s']:,.0f} ops/s p50 {m['p50_us']:.0f} µs p99 {m['p99_us']:.0f} µs "
        f"cpu {m['cpu_us_per_op']:.1f} µs/op"
    )


def to_json(figures: dict[str, Any]) -> str:
    return json.dumps({**figures, "notes": notes(figures)}, indent=2, sort_keys=True)
