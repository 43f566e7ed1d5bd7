"""A workload's `faults:` list: checked when the workload is read, and a workload without
faults keeps the hash it had before faults existed."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bakeoff.workloads.model import Workload

BASE = {"name": "w", "operation_count": 10, "operations": {"read": 1.0}}


def test_faults_are_checked_naming_the_field() -> None:
    with pytest.raises(ValidationError, match="at: expected a duration"):
        Workload.model_validate({**BASE, "faults": ["at=later,kill"]})


def test_faults_are_part_of_the_spec_only_when_there_are_some() -> None:
    plain = Workload.model_validate(BASE)
    assert "faults" not in plain.model_dump(mode="json")
    faulted = Workload.model_validate({**BASE, "faults": ["at=1s,pause"]})
    assert faulted.faults == ("at=1s,pause",)
    assert faulted.spec_hash() != plain.spec_hash()
