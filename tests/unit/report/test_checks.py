"""The headline's sentences: a saturated client and a missed target rate, per trial."""

from __future__ import annotations

from bakeoff.report.checks import load_generator_warnings


def test_a_saturated_client_and_a_missed_rate_are_named_per_trial() -> None:
    measure = {
        "client_saturated": True,
        "client_process_utilisation": [0.4, 0.98],
        "backlog_operations": 500,
        "target_ops_per_s": 1000,
        "wall_s": 10,
    }
    manifest = {
        "run_id": "r",
        "trials": [
            {
                "trial": 0,
                "engine": "redis",
                "workload": "ycsb-c",
                "load_generator": {"measure": measure},
            },
            {
                "trial": 1,
                "engine": "sqlite",
                "workload": "ycsb-c",
                "load_generator": {"measure": {}},
            },
        ],
    }
    saturated, missed = load_generator_warnings(manifest)
    assert saturated.startswith(
        "ycsb-c on redis, trial 0: the client was saturated (busiest process at 98%"
    )
    assert missed.startswith(
        "ycsb-c on redis, trial 0: the target rate was not met (500 operations"
    )
