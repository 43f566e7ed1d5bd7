"""`bakeoff doctor`'s checks of the machine, read from files that may not be there."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import typer

from bakeoff.cli.doctor import OK, SKIP, WARN, governor_check, load_check

# The package exports the command function under the module's name.
doctor = importlib.import_module("bakeoff.cli.doctor")


def _governor(root: Path, cpu: int, value: str) -> None:
    folder = root / f"cpu{cpu}" / "cpufreq"
    folder.mkdir(parents=True)
    (folder / "scaling_governor").write_text(value + "\n")


def test_performance_governor_is_ok_and_powersave_warns(tmp_path: Path) -> None:
    _governor(tmp_path, 0, "performance")
    assert governor_check(tmp_path).status == OK
    _governor(tmp_path, 1, "powersave")
    check = governor_check(tmp_path)
    assert check.status == WARN
    assert "powersave" in check.detail


def test_no_cpufreq_is_skipped(tmp_path: Path) -> None:
    assert governor_check(tmp_path).status == SKIP


def test_background_load_above_a_quarter_of_the_cores_warns(tmp_path: Path) -> None:
    loadavg = tmp_path / "loadavg"
    loadavg.write_text("0.10 0.20 0.30 1/100 42\n")
    assert load_check(loadavg, cores=2).status == OK
    loadavg.write_text("3.00 2.00 1.00 5/100 42\n")
    assert load_check(loadavg, cores=2).status == WARN
    assert load_check(tmp_path / "absent", cores=2).status == SKIP


def test_userland_proxy_on_warns_with_the_way_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doctor, "dockerd_userland_proxy", lambda: (True, "Docker's default"))
    check = doctor.userland_proxy_check()
    assert check.status == WARN
    assert "--userland-proxy=false" in check.detail
    monkeypatch.setattr(doctor, "dockerd_userland_proxy", lambda: (False, "daemon.json"))
    assert doctor.userland_proxy_check().status == OK
    monkeypatch.setattr(doctor, "dockerd_userland_proxy", lambda: (None, "remote daemon"))
    assert doctor.userland_proxy_check().status == SKIP


def test_doctor_for_an_embedded_engine_checks_no_docker(
    capsys: pytest.CaptureFixture[str],
) -> None:
    doctor.doctor(["sqlite"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["ok", "extras"]
    assert not [line for line in lines if "docker" in line]


def test_doctor_fails_when_a_named_engine_misses_its_driver(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(doctor, "missing_drivers", lambda spec: ["psycopg"])
    with pytest.raises(typer.Exit) as stopped:
        doctor.doctor(["sqlite"])
    assert stopped.value.exit_code == 1
    assert "pip install bakeoff" in capsys.readouterr().out  # sqlite's extra is the core
