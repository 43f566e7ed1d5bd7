"""The selftest's rounds: each figure the median over them, nothing dropped."""

from __future__ import annotations

from bakeoff.selftest.rounds import median_figures, per_round


def test_each_number_is_its_median_over_the_rounds_that_have_it() -> None:
    rounds = [
        {"pg_ratio_8": 0.80, "noop_us_per_op": 0.50, "only_once": 7.0},
        {"pg_ratio_8": 0.95, "noop_us_per_op": 0.45},
        {"pg_ratio_8": 0.90, "noop_us_per_op": 0.60},
    ]
    merged = median_figures(rounds)
    assert merged["pg_ratio_8"] == 0.90
    assert merged["noop_us_per_op"] == 0.50
    assert merged["only_once"] == 7.0


def test_a_tools_figures_are_medians_field_by_field_and_its_error_counts_are_summed() -> None:
    def tool(rate: float, errors: dict[str, int]) -> dict[str, object]:
        return {"ops_per_s": rate, "p99_us": rate / 100, "operations": 10, "errors": errors}

    merged = median_figures(
        [
            {"goycsb_pg_a_goycsb_8": tool(1000.0, {"READ_ERROR": 1})},
            {"goycsb_pg_a_goycsb_8": tool(3000.0, {"READ_ERROR": 2, "UPDATE_ERROR": 1})},
            {"goycsb_pg_a_goycsb_8": tool(2000.0, {})},
        ]
    )
    assert merged["goycsb_pg_a_goycsb_8"] == {
        "ops_per_s": 2000.0,
        "p99_us": 20.0,
        "operations": 10,
        "errors": {"READ_ERROR": 3, "UPDATE_ERROR": 1},
    }


def test_text_and_missing_figures_keep_the_first_rounds_value() -> None:
    merged = median_figures(
        [
            {"pg_split_8": "1 processes x 8 clients", "pg_ratio_1": None},
            {"pg_split_8": "1 processes x 8 clients", "pg_ratio_1": 1.5},
        ]
    )
    assert merged == {"pg_split_8": "1 processes x 8 clients", "pg_ratio_1": 1.5}


def test_every_rounds_value_of_each_number_is_kept() -> None:
    rounds: list[dict[str, object]] = [
        {"pg_ratio_8": 0.8, "pg_split_8": "x"},
        {"pg_ratio_8": 0.9, "redis_ratio_8": 1.1},
    ]
    assert per_round(rounds) == {"pg_ratio_8": [0.8, 0.9], "redis_ratio_8": [None, 1.1]}
