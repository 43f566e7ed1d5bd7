"""Reading an SLO and judging a step against it."""

from __future__ import annotations

import math

import pytest

from bakeoff.results.slo import Measured, Slo, SloError, judge, parse_slo


def test_bounds_in_any_unit_several_per_text_or_one_per_text() -> None:
    slo = parse_slo(["p99<=2ms", "p999<=10ms,p50<=500us"], max_errors="0.5%")
    assert slo.percentiles_us == {"p50": 500.0, "p99": 2000.0, "p999": 10_000.0}
    assert slo.max_error_rate == 0.005
    assert slo.text == "p50<=500us,p99<=2ms,p999<=10ms,errors<=0.5%"
    assert parse_slo(["p99.9 <= 1s, errors<=0"]).percentiles_us == {"p999": 1_000_000.0}
    assert parse_slo(["p99.9<=1s,errors<=0"]).max_error_rate == 0.0
    assert parse_slo(["p99<=2ms"]).max_error_rate == 0.01


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        (["p99<2"], "give a unit"),
        (["p98<=2ms"], "bound one of"),
        (["errors<=1%"], "bounds no percentile"),
        (["p99=>2ms"], "expected e.g. p99<=2ms"),
        (["p99<=0ms"], "must be positive"),
        (["p99<=2ms,errors<=150%"], "between 0 and 100 %"),
    ],
)
def test_an_slo_that_cannot_be_read_says_how_to_write_one(texts: list[str], message: str) -> None:
    with pytest.raises(SloError, match=message):
        parse_slo(texts)


def _measured(**changes: object) -> Measured:
    values: dict[str, object] = {
        "target_rate": 1000.0,
        "achieved_rate": 998.0,
        "percentiles_us": {"p50": 100.0, "p90": 200.0, "p99": 400.0, "p999": 900.0},
        "error_rate": 0.0,
        "duration_s": 5.0,
    }
    return Measured(**{**values, **changes})  # type: ignore[arg-type]


def test_a_step_holds_only_when_rate_latency_and_errors_all_do() -> None:
    slo = Slo({"p99": 2000.0}, 0.01)
    assert judge(_measured(), slo, 0.05) == []
    reasons = judge(
        _measured(
            achieved_rate=910.0,
            percentiles_us={"p99": 2410.0},
            error_rate=0.02,
            notes=["the load generator was saturated"],
        ),
        slo,
        0.05,
    )
    assert reasons == [
        "achieved 91% of target (< 95%)",
        "p99 2,410 µs > SLO 2,000 µs",
        "errors 2.00% > SLO 1%",
        "the load generator was saturated",
    ]


def test_a_failed_trial_or_no_latency_is_a_miss() -> None:
    slo = Slo({"p99": 2000.0})
    assert judge(_measured(failure="engine lost"), slo, 0.05) == ["trial failed: engine lost"]
    assert judge(_measured(percentiles_us={"p99": math.nan}), slo, 0.05) == [
        "p99: no operation completed"
    ]
