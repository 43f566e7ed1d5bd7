"""What a report reads off the trials' manifests, as text."""

from __future__ import annotations

from bakeoff.report.manifests import TrialInfo, engine_setup, settled_text


def test_settled_text_says_what_ran_or_why_nothing_did() -> None:
    ran = {"settled": True, "statements": "VACUUM (ANALYZE) usertable", "seconds": 0.2}
    assert settled_text(ran) == "VACUUM (ANALYZE) usertable"
    skipped = {"settled": False, "why_not": "switched off (--no-settle)"}
    assert settled_text(skipped) == "none: switched off (--no-settle)"
    assert settled_text({}) == "", "a manifest from before bakeoff settled"


def info(trial: int, settled: str) -> TrialInfo:
    return TrialInfo(
        run_id="r",
        trial=trial,
        engine="postgres",
        workload="ycsb-c",
        workload_hash="h",
        status="ok",
        error="",
        engine_version="PostgreSQL 15",
        adapter="postgres",
        connections="8",
        settings={},
        provenance={},
        settled=settled,
    )


def test_an_engine_setup_lists_each_distinct_settling_once() -> None:
    trials = [
        info(0, "VACUUM (ANALYZE) usertable"),
        info(1, "none: the data was reused from an earlier trial (--reuse)"),
        info(2, "VACUUM (ANALYZE) usertable"),
        info(3, ""),
    ]
    assert engine_setup("postgres", trials).settled == (
        "VACUUM (ANALYZE) usertable",
        "none: the data was reused from an earlier trial (--reuse)",
    )
