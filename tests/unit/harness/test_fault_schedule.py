"""The fault timer: each fault applied at its time and undone after its duration, with
the actual times recorded; `stop` undoes whatever is still applied, newest first."""

from __future__ import annotations

import time

import pytest

from bakeoff.core.faults import FaultSpec, parse_faults
from bakeoff.engines.node_faults import SingleNode
from bakeoff.engines.topology_nodes import TopologyNode, UnknownNodeError
from bakeoff.harness.fault_schedule import FaultSchedule


class Recording:
    def __init__(self) -> None:
        self.log: list[str] = []

    def apply(self, spec: FaultSpec, node: TopologyNode) -> object:
        if spec.kind == "stop":
            raise RuntimeError("refused")
        self.log.append(f"{spec.kind} {node.name}")
        if spec.kind == "promote":
            return None
        return lambda: self.log.append(f"undo {spec.kind}")


def test_faults_are_applied_and_undone_on_time_and_the_rest_at_stop() -> None:
    actions = Recording()
    specs = parse_faults(["at=0.05s,for=0.05s,pause", "at=0.12s,kill", "at=0.13s,stop"])
    schedule = FaultSchedule(specs, SingleNode("c1"), actions.apply)  # type: ignore[arg-type]
    schedule.start(time.perf_counter_ns())
    time.sleep(0.4)
    schedule.stop()
    assert actions.log == ["pause node1", "undo pause", "kill node1", "undo kill"]
    pause, kill, stop = schedule.describe()
    assert 0.05 <= float(pause["started_s"]) < float(pause["ended_s"])  # type: ignore[arg-type]
    assert float(pause["ended_s"]) >= 0.1  # type: ignore[arg-type]
    assert kill["ended_s"] is not None and kill["applied"]
    assert not stop["applied"] and "refused" in str(stop["error"])
    schedule.stop()  # again: nothing left to undo
    assert actions.log.count("undo kill") == 1


def test_stopping_before_a_fault_is_due_applies_nothing() -> None:
    actions = Recording()
    schedule = FaultSchedule(parse_faults(["at=30s,pause"]), SingleNode("c1"), actions.apply)  # type: ignore[arg-type]
    schedule.start(time.perf_counter_ns())
    schedule.stop()
    assert actions.log == []
    assert schedule.describe()[0]["started_s"] is None


def test_a_node_the_topology_lacks_is_refused_before_anything_runs() -> None:
    with pytest.raises(UnknownNodeError, match="node1 \\(primary\\)"):
        FaultSchedule(parse_faults(["at=1s,kill,node=3"]), SingleNode("c1"), Recording().apply)  # type: ignore[arg-type]
