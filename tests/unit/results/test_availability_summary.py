from __future__ import annotations

from typing import Any

from bakeoff.results.availability_summary import operator_actions


def test_promotions_and_repoints_are_the_operator_actions() -> None:
    faults: list[dict[str, Any]] = [
        {"fault": "at=3s,kill,node=primary", "kind": "kill", "started_s": 3.0},
        {"fault": "at=4s,promote", "kind": "promote", "node_name": "replica1", "started_s": 4.0},
        {"fault": "at=4s,repoint", "kind": "repoint", "node_name": "replica1", "started_s": 4.3},
        {"fault": "at=9s,repoint", "kind": "repoint", "node_name": "primary", "started_s": None},
    ]
    assert operator_actions(faults) == [
        {"fault": "at=4s,promote", "node_name": "replica1", "started_s": 4.0},
        {"fault": "at=4s,repoint", "node_name": "replica1", "started_s": 4.3},
    ]
