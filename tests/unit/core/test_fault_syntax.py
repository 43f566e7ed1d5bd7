"""The fault schedule syntax (docs/faults.md): what it reads, and what it refuses, naming
the entry and the field."""

from __future__ import annotations

import pytest

from bakeoff.core.faults import FaultSpec, FaultSyntaxError, parse_fault, parse_faults


def test_a_kill_with_a_node_and_no_duration() -> None:
    assert parse_fault("at=20s,kill,node=2") == FaultSpec(
        kind="kill", at_s=20.0, node="2", text="at=20s,kill,node=2"
    )


def test_durations_in_ms_s_and_minutes_and_a_toxic_value_in_ms() -> None:
    fault = parse_fault("at=1.5m, for=500ms, latency=50ms, jitter=5ms, node=primary")
    assert (fault.at_s, fault.for_s, fault.value, fault.jitter_ms) == (90.0, 0.5, 50.0, 5.0)
    assert fault.needs_proxy


def test_bandwidth_reads_kilobytes_per_second() -> None:
    assert parse_fault("at=1s,bandwidth=100KB/s").value == 100.0


def test_operator_actions_target_a_replica_unless_told() -> None:
    assert parse_fault("at=5s,promote").node == "replica"
    assert parse_fault("at=5s,repoint,node=replica1").node == "replica1"
    assert parse_fault("at=1s,pause").node == "primary"


def test_reset_takes_an_optional_delay() -> None:
    assert parse_fault("at=1s,reset").value == 0.0
    assert parse_fault("at=1s,reset=200ms").value == 200.0


def test_a_schedule_is_ordered_by_time() -> None:
    faults = parse_faults(["at=9s,pause", "at=2s,kill"])
    assert [f.kind for f in faults] == ["kill", "pause"]


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ("kill,node=2", "at: missing"),
        ("at=soon,kill", "at: expected a duration"),
        ("at=1s", "kind: missing"),
        ("at=1s,kill,pause", "one kind per fault"),
        ("at=1s,explode", "unknown item 'explode'"),
        ("at=1s,for=0s,pause", "for: must be positive"),
        ("at=1s,latency", "latency: needs a value"),
        ("at=1s,kill=3", "kill: takes no value"),
        ("at=1s,bandwidth=fast", "bandwidth: expected KB/s"),
        ("at=1s,node=,kill", "node: needs a value"),
    ],
)
def test_bad_entries_name_the_field(entry: str, words: str) -> None:
    with pytest.raises(FaultSyntaxError, match=words) as caught:
        parse_fault(entry)
    assert repr(entry) in str(caught.value)
