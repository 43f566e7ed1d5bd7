"""`bakeoff selftest`'s table: every bar judged from the figures, nothing assumed."""

from __future__ import annotations

from typing import Any

from bakeoff.selftest import BARS, format_table


def _figures(**overrides: Any) -> dict[str, Any]:
    figures: dict[str, Any] = {key: (0.5 if op == "<=" else 2.0) for key, op, _ in BARS}
    figures.update(
        memory_peak_rss_short_mb=100.0,
        memory_peak_rss_long_mb=100.0,
        memory_short_run_s=60,
        memory_long_run_s=600,
    )
    figures.update(overrides)
    return figures


def _verdicts(table: str) -> dict[str, str]:
    verdicts = {}
    for line in table.splitlines():
        parts = line.split()
        if parts and parts[0] in {key for key, _, _ in BARS}:
            verdicts[parts[0]] = "NOT MET" if line.endswith("NOT MET") else parts[-1]
    return verdicts


def test_every_bar_is_printed_and_met_when_the_figures_meet_it() -> None:
    verdicts = _verdicts(format_table(_figures()))
    assert set(verdicts) == {key for key, _, _ in BARS}
    assert set(verdicts.values()) == {"met"}


def test_a_figure_on_the_wrong_side_of_its_bar_is_not_met() -> None:
    verdicts = _verdicts(format_table(_figures(pg_ratio_8=0.69, redis_client_cpu_ratio_8=1.51)))
    assert verdicts["pg_ratio_8"] == "NOT MET"
    assert verdicts["redis_client_cpu_ratio_8"] == "NOT MET"
    assert verdicts["pg_ratio_1"] == "met"


def test_a_missing_figure_is_shown_as_missing_not_met() -> None:
    figures = _figures()
    del figures["redis_ratio_8"]
    table = format_table(figures)
    line = next(x for x in table.splitlines() if x.startswith("redis_ratio_8"))
    assert "n/a" in line and "met" not in line
