"""`bakeoff doctor`'s checks of the machine, read from files that may not be there."""

from __future__ import annotations

from pathlib import Path

from bakeoff.cli.doctor import OK, SKIP, WARN, governor_check, load_check


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
