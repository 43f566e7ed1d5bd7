"""How fast an idle CPU of this machine wakes up: part of every one-connection latency.

With one connection, the client and the server take turns: each waits, idle, while the
other works, and every request and every reply wakes a sleeping thread on another CPU.
On bare metal that costs a few microseconds. In a virtual machine an idle virtual CPU
may halt (the guest's `hlt` leaves the virtual machine), and waking it is then the
host's job: an interrupt to the host, the virtual CPU's thread scheduled again, and the
guest resumed, tens of microseconds each time. A busy machine never pays it (its CPUs
are not idle), so on such a host one-connection figures depend on how idle the machine
is (docs/load-generator.md, "Idle CPUs and one connection").

`wakeup_indicator` records what can be read about this (whether a hypervisor is there,
the cpuidle driver and its idle states, the guest halt-poll window, the clocksource)
and a probe: two threads on two different CPUs pass a byte back and forth through
pipes, each blocking in `read` while the other runs, which is the one-connection
pattern without a network in between. 100 round trips take a few milliseconds. It runs
when a run starts, before any trial, never while one is measured.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import threading
import time
from pathlib import Path

PROBE_ROUND_TRIPS = 100


def wakeup_indicator(
    *, sys_root: Path = Path("/sys"), proc: Path = Path("/proc")
) -> dict[str, object]:
    """This machine's idle behaviour: what /sys and /proc say, and the probe's figures."""
    return {**idle_settings(sys_root=sys_root, proc=proc), **wakeup_probe()}


def idle_settings(
    *, sys_root: Path = Path("/sys"), proc: Path = Path("/proc")
) -> dict[str, object]:
    cpu = sys_root / "devices/system/cpu"
    states = sorted((cpu / "cpu0/cpuidle").glob("state*"))
    return {
        "virtual_machine": _hypervisor_flag(proc / "cpuinfo"),
        "cpuidle_driver": _read(cpu / "cpuidle/current_driver"),
        "cpuidle_governor": _read(cpu / "cpuidle/current_governor_ro")
        or _read(cpu / "cpuidle/current_governor"),
        "idle_states": [name for state in states if (name := _read(state / "name")) is not None],
        # The haltpoll driver's window: how long an idle virtual CPU polls before it
        # halts. 0 halts at once, and every wake-up then goes through the host.
        "guest_halt_poll_ns": _int(
            _read(sys_root / "module/haltpoll/parameters/guest_halt_poll_ns")
        ),
        "clocksource": _read(
            sys_root / "devices/system/clocksource/clocksource0/current_clocksource"
        ),
    }


def wakeup_probe(
    round_trips: int = PROBE_ROUND_TRIPS, *, sys_root: Path = Path("/sys")
) -> dict[str, object]:
    """Median and p99 of a cross-CPU ping-pong's round trip, in µs, and how often a CPU
    went idle per round trip (cpuidle's counters; None without them): near 1 when each
    wait halts a CPU, near 0 when other work keeps the CPUs busy. All None where the
    process may use only one CPU (there is no other CPU to wake)."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(cpus) < 2:
        return dict.fromkeys(_PROBE_KEYS)
    before = _idle_entries(sys_root)
    times = sorted(_ping_pong(round_trips, cpus[0], cpus[1]))
    after = _idle_entries(sys_root)
    entries = None if before is None or after is None else (after - before) / round_trips
    return dict(
        zip(
            _PROBE_KEYS,
            (
                round(statistics.median(times), 1),
                round(times[min(len(times) - 1, int(len(times) * 0.99))], 1),
                None if entries is None else round(entries, 2),
            ),
            strict=True,
        )
    )


_PROBE_KEYS = (
    "wakeup_round_trip_p50_us",
    "wakeup_round_trip_p99_us",
    "wakeup_idle_entries_per_round_trip",
)


def _idle_entries(sys_root: Path) -> int | None:
    """Idle-state entries of every CPU since boot, or None where cpuidle is not there."""
    counters = list((sys_root / "devices/system/cpu").glob("cpu[0-9]*/cpuidle/state*/usage"))
    values = [_int(_read(path)) for path in counters]
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _ping_pong(round_trips: int, here: int, there: int) -> list[float]:
    ping_r, ping_w = os.pipe()
    pong_r, pong_w = os.pipe()
    # sched_setaffinity(0) pins the calling thread only (Linux): each end on its own CPU.
    mine = os.sched_getaffinity(0)

    def responder() -> None:
        with contextlib.suppress(OSError):  # unpinned, it still answers
            os.sched_setaffinity(0, {there})
        while (byte := os.read(ping_r, 1)) not in (b"", b"q"):
            os.write(pong_w, byte)

    thread = threading.Thread(target=responder, name="wakeup-probe", daemon=True)
    times: list[float] = []
    try:
        os.sched_setaffinity(0, {here})
        thread.start()
        # A first exchange that nobody times: the thread has started and is waiting.
        os.write(ping_w, b"p")
        os.read(pong_r, 1)
        for _ in range(round_trips):
            start = time.perf_counter_ns()
            os.write(ping_w, b"p")
            os.read(pong_r, 1)
            times.append((time.perf_counter_ns() - start) / 1e3)
    finally:
        os.write(ping_w, b"q")
        thread.join()
        os.sched_setaffinity(0, mine)
        for fd in (ping_r, ping_w, pong_r, pong_w):
            os.close(fd)
    return times


def _hypervisor_flag(cpuinfo: Path) -> bool | None:
    text = _read(cpuinfo)
    if text is None:
        return None
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == "flags":
            return "hypervisor" in value.split()
    return None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None


def _int(text: str | None) -> int | None:
    try:
        return None if text is None else int(text)
    except ValueError:
        return None
