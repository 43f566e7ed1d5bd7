"""`bakeoff selftest`'s table: every bar judged from the figures, nothing assumed."""

from __future__ import annotations

import json
from typing import Any

from bakeoff.selftest.table import BARS, format_table, to_json


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
    verdicts = _verdicts(format_table(_figures(pg_ratio_8=0.89, redis_client_cpu_ratio_8=1.31)))
    assert verdicts["pg_ratio_8"] == "NOT MET"
    assert verdicts["redis_client_cpu_ratio_8"] == "NOT MET"
    assert verdicts["pg_ratio_1"] == "met"


def test_a_missing_figure_is_shown_as_missing_not_met() -> None:
    figures = _figures()
    del figures["redis_ratio_8"]
    table = format_table(figures)
    line = next(x for x in table.splitlines() if x.startswith("redis_ratio_8"))
    assert "n/a" in line and "met" not in line


def test_the_bars_are_issue_19s() -> None:
    bars = {key: (op, bar) for key, op, bar in BARS}
    for key in ("redis_ratio_1", "redis_ratio_8", "pg_ratio_1", "pg_ratio_8"):
        assert bars[key] == (">=", 0.9)
    assert bars["redis_client_cpu_ratio_8"] == ("<=", 1.3)
    assert bars["pg_client_cpu_ratio_8"] == ("<=", 1.3)
    assert bars["noop_us_per_op"] == ("<=", 0.5)
    goycsb = {key for key in bars if key.startswith("goycsb_")}
    assert len(goycsb) == 8 and all(bars[key] == (">=", 1.0) for key in goycsb)
    assert "goycsb_redis_c_ratio_1" in goycsb and "goycsb_pg_a_ratio_8" in goycsb


def test_with_the_proxy_on_the_output_says_its_ratios_are_capped() -> None:
    capped = _figures(proxy="docker-proxy (a userland copy)", proxy_caps_ratios=True)
    assert "capped by the proxy" in format_table(capped)
    assert "capped by the proxy" in " ".join(json.loads(to_json(capped))["notes"])
    direct = _figures(proxy="kernel", proxy_caps_ratios=False)
    assert "capped" not in format_table(direct)
    assert json.loads(to_json(direct))["proxy"] == "kernel"


def test_slow_wakeups_make_one_connection_figures_unreliable() -> None:
    wakeup = {
        "wakeup_round_trip_idle_us": 48.0,
        "wakeup_round_trip_busy_us": 22.0,
        "one_connection_reliable": False,
    }
    assert "One-connection figures are unreliable" in format_table(_figures(wakeup=wakeup))
    quiet = {**wakeup, "one_connection_reliable": True}
    assert "unreliable" not in format_table(_figures(wakeup=quiet))


def test_go_ycsb_not_named_is_said_and_its_pairs_are_printed_when_run() -> None:
    assert "go-ycsb: not run" in format_table(_figures(goycsb_binary=None))
    tool = {"ops_per_s": 1000.0, "p50_us": 50.0, "p99_us": 90.0, "cpu_us_per_op": 20.0}
    table = format_table(
        _figures(
            goycsb_binary="/opt/go-ycsb",
            goycsb_redis_c_bakeoff_8=tool,
            goycsb_redis_c_goycsb_8={**tool, "errors": {"READ_ERROR": 9}},
            goycsb_redis_c_ratio_8=1.2,
            goycsb_redis_c_p50_ratio_8=0.65,
            goycsb_redis_c_client_cpu_ratio_8=1.19,
            goycsb_redis_a_bakeoff_1=tool,
            goycsb_redis_a_goycsb_1={**tool, "errors": {"UPDATE_ERROR": 1}},
        )
    )
    assert "redis C 8 conn: bakeoff 1,000 ops/s" in table
    lines = table.splitlines()
    pair = next(i for i, x in enumerate(lines) if x.startswith("redis C 8 conn"))
    assert (
        lines[pair + 1].strip() == "bakeoff / peer: ops/s 1.20x, p50 0.65x, p99 n/a, cpu/op 1.19x"
    )
    assert "go-ycsb failed operations {'READ_ERROR': 9}" in table
    # One per connection is the operation in flight when the run was interrupted.
    assert "UPDATE_ERROR" not in table


def test_a_busy_machine_at_the_start_is_noted() -> None:
    busy = _figures(load_average_start=[1.5, 1.0, 0.8], machine_cores=2)
    assert "The machine was busy when the selftest started (load average 1.5" in format_table(busy)
    quiet = _figures(load_average_start=[0.2, 0.5, 0.8], machine_cores=2)
    assert "was busy" not in format_table(quiet)


def test_with_rounds_each_bar_shows_its_range_and_is_judged_on_the_median() -> None:
    figures = _figures(
        rounds=3,
        pg_ratio_8=0.92,
        per_round={"pg_ratio_8": [0.85, 0.92, 0.97], "noop_us_per_op": [0.4, 0.5, None]},
    )
    lines = format_table(figures).splitlines()
    assert "range (3 rounds)" in lines[0]
    pg = next(x for x in lines if x.startswith("pg_ratio_8"))
    assert "0.850-0.970" in pg and pg.endswith("  met")
    noop = next(x for x in lines if x.startswith("noop_us_per_op"))
    assert "0.400-0.500" in noop
    assert _verdicts(format_table(figures)) == _verdicts(format_table(_figures()))


def test_go_ycsb_errors_summed_over_rounds_allow_one_per_connection_and_round() -> None:
    tool = {"ops_per_s": 1000.0, "p50_us": 50.0, "p99_us": 90.0, "cpu_us_per_op": 20.0}
    figures = _figures(
        rounds=3,
        goycsb_binary="/opt/go-ycsb",
        goycsb_pg_a_goycsb_1={**tool, "errors": {"UPDATE_ERROR": 3}},
        goycsb_pg_c_goycsb_1={**tool, "errors": {"READ_ERROR": 4}},
    )
    table = format_table(figures)
    assert "UPDATE_ERROR" not in table
    assert "go-ycsb failed operations {'READ_ERROR': 4}" in table
