"""The wake-up indicator of every run's provenance: what /sys says, and the probe."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from bakeoff.results.provenance import host_info
from bakeoff.results.wakeup import idle_settings, wakeup_probe


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")


def test_the_idle_settings_of_a_virtual_machine_that_halts_at_once(tmp_path: Path) -> None:
    sys_root, proc = tmp_path / "sys", tmp_path / "proc"
    cpu = sys_root / "devices/system/cpu"
    _write(cpu / "cpuidle/current_driver", "haltpoll")
    _write(cpu / "cpuidle/current_governor_ro", "haltpoll")
    _write(cpu / "cpu0/cpuidle/state0/name", "POLL")
    _write(cpu / "cpu0/cpuidle/state1/name", "haltpoll idle")
    _write(sys_root / "module/haltpoll/parameters/guest_halt_poll_ns", "0")
    _write(sys_root / "devices/system/clocksource/clocksource0/current_clocksource", "tsc")
    _write(proc / "cpuinfo", "processor\t: 0\nflags\t\t: fpu tsc hypervisor x2apic\n")
    assert idle_settings(sys_root=sys_root, proc=proc) == {
        "virtual_machine": True,
        "cpuidle_driver": "haltpoll",
        "cpuidle_governor": "haltpoll",
        "idle_states": ["POLL", "haltpoll idle"],
        "guest_halt_poll_ns": 0,
        "clocksource": "tsc",
    }


def test_nothing_readable_is_none_not_an_error(tmp_path: Path) -> None:
    settings = idle_settings(sys_root=tmp_path / "sys", proc=tmp_path / "proc")
    assert settings["virtual_machine"] is None and settings["cpuidle_driver"] is None
    assert settings["idle_states"] == [] and settings["guest_halt_poll_ns"] is None


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs to wake")
def test_the_probe_is_cheap_and_leaves_the_affinity_as_it_was() -> None:
    before = os.sched_getaffinity(0)
    started = time.perf_counter()
    probe = wakeup_probe()
    elapsed = time.perf_counter() - started
    assert os.sched_getaffinity(0) == before
    p50, p99 = probe["wakeup_round_trip_p50_us"], probe["wakeup_round_trip_p99_us"]
    assert isinstance(p50, float) and isinstance(p99, float) and 0 < p50 <= p99
    entries = probe["wakeup_idle_entries_per_round_trip"]
    assert entries is None or (isinstance(entries, float) and entries >= 0)
    # A few milliseconds on an idle machine; generous for a shared CI machine.
    assert elapsed < 1.0


def test_one_cpu_has_nothing_to_wake(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0})
    assert set(wakeup_probe().values()) == {None}


def test_every_run_records_the_indicator() -> None:
    indicator = host_info()["idle_wakeup"]
    assert isinstance(indicator, dict)
    assert {"virtual_machine", "cpuidle_driver", "wakeup_round_trip_p50_us"} <= set(indicator)


def test_idle_entries_come_from_every_cpus_cpuidle_counters(tmp_path: Path) -> None:
    # A fake /sys whose counters do not move: no CPU went idle during the probe.
    for cpu in ("cpu0", "cpu1"):
        for state, count in (("state0", "0"), ("state1", "1234")):
            _write(tmp_path / f"devices/system/cpu/{cpu}/cpuidle/{state}/usage", count)
    probe = wakeup_probe(10, sys_root=tmp_path)
    if len(os.sched_getaffinity(0)) >= 2:
        assert probe["wakeup_idle_entries_per_round_trip"] == 0.0
    without = wakeup_probe(10, sys_root=tmp_path / "none")
    assert without["wakeup_idle_entries_per_round_trip"] is None
