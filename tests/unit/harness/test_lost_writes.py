"""Jepsen-style accounting of acknowledged writes read back after the faults."""

from __future__ import annotations

from bakeoff.harness.lost_writes import classify
from bakeoff.harness.write_tracking import DELETED, Write, stamped


def _write(key: str, version: str, start: int, end: int, acked: bool = True) -> Write:
    return Write(key, version, ("field0",), start, end, acked)


def test_stable_lost_stale_and_indeterminate() -> None:
    writes = [
        _write("a", "0.1", 0, 10),
        _write("b", "0.2", 0, 10),
        _write("c", "0.3", 0, 10),
        _write("c", "0.4", 20, 30),
        _write("d", "0.5", 0, 10),
        _write("d", "0.6", 20, 30, acked=False),
        _write("e", "0.7", 0, 10, acked=False),
    ]
    stored = {
        "a": {"field0": stamped("x" * 20, "0.1")},  # the last acknowledged: stable
        "c": {"field0": stamped("x" * 20, "0.3")},  # an older acknowledged one: stale
        "d": {"field0": stamped("x" * 20, "0.6")},  # a later indeterminate one: stable
        "e": {"field0": "unversioned"},  # no acknowledged write: not checked
    }  # "b" is gone: lost
    verdict = classify(writes, lambda key, fields: stored.get(key))
    assert (verdict["stable"], verdict["lost"], verdict["stale"]) == (2, 1, 1)
    assert verdict["keys_checked"] == 4
    assert (verdict["acknowledged_writes"], verdict["indeterminate_writes"]) == (5, 2)
    assert verdict["examples"] == {"lost": ["b"], "stale": ["c"]}


def test_a_write_overlapping_the_last_acknowledged_one_may_be_what_stayed() -> None:
    writes = [_write("k", "1.1", 0, 50), _write("k", "2.1", 10, 40)]
    stored = {"k": {"field0": stamped("y" * 10, "2.1")}}
    assert classify(writes, lambda key, fields: stored.get(key))["stable"] == 1


def test_the_version_stamp_keeps_the_length() -> None:
    assert len(stamped("a" * 30, "1f.2a")) == 30


def test_a_deleted_key_is_not_checked() -> None:
    writes = [_write("k", "1.1", 0, 10), _write("k", DELETED, 20, 30)]
    verdict = classify(writes, lambda key, fields: None)
    assert verdict["keys_checked"] == 0 and verdict["lost"] == 0
