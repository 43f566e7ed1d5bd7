import math
from typing import Any

import pytest

from bakeoff.core.capabilities import Capability
from bakeoff.core.operations import OPERATIONS
from bakeoff.workloads.model import OperationMix, Workload
from bakeoff.workloads.phase_length import AUTO, DEFAULT_DURATION_S


def test_operation_mix_writes_out_ycsb_operations_always() -> None:
    dumped = OperationMix(read=1.0).model_dump(mode="json")
    ycsb = [op.name for op in OPERATIONS if op.ycsb_property is not None]
    assert list(dumped) == ycsb
    assert dumped["read"] == 1.0
    assert OperationMix.model_validate(dumped) == OperationMix(read=1.0)


def test_operation_mix_capabilities_and_split_phase_come_from_the_table() -> None:
    mix = OperationMix(read=0.5, read_modify_write=0.25, delete=0.25)
    assert not mix.all_split_phase()
    assert OperationMix(read=0.5, scan=0.5).all_split_phase()
    workload = Workload(name="w", operations=OperationMix(scan=0.5, delete=0.5))
    assert workload.required_capabilities() == {
        Capability.SCAN,
        Capability.ORDERED_SCAN,
        Capability.DELETE,
    }


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"records": 10**12}, "records: Input should be less than or equal to 10000000000"),
        ({"duration_s": math.inf}, "duration_s: Input should be a finite number (got inf)"),
        ({"operation_count": 10**13}, "operation_count: Input should be less than or equal to"),
    ],
)
def test_an_out_of_bounds_override_is_one_line_naming_the_field(
    override: dict[str, Any], expected: str
) -> None:
    workload = Workload(name="w", operations=OperationMix(read=1.0))
    with pytest.raises(ValueError, match=r"^[^\n]*$") as caught:
        workload.with_overrides(**override)
    assert str(caught.value).startswith(expected)


def workload_with(**fields: Any) -> Workload:
    return Workload.model_validate({"name": "w", "operations": {"read": 1.0}, **fields})


def test_a_duration_given_alone_is_what_stops_the_measured_phase() -> None:
    # It used to sit beside a defaulted operation_count of 1000, which won.
    workload = workload_with(duration_s=30)
    assert (workload.operation_count, workload.duration_s) == (None, 30.0)


def test_a_workload_naming_no_size_measures_for_ten_seconds() -> None:
    workload = workload_with()
    assert (workload.operation_count, workload.duration_s) == (None, DEFAULT_DURATION_S)
    assert workload_with(operation_count=500).duration_s is None
    with pytest.raises(ValueError, match="give operation_count or duration_s"):
        workload_with(operation_count=None, duration_s=None)


def test_warmup_seconds_or_auto() -> None:
    assert workload_with(warmup_s="auto").warmup_s == AUTO
    assert workload_with(warmup_s=5).warmup_s == 5.0
    with pytest.raises(ValueError, match="expected a number of seconds or auto"):
        workload_with(warmup_s="automatic")
    with pytest.raises(ValueError, match="warmup_operations or warmup_s: auto, not both"):
        workload_with(warmup_s="auto", warmup_operations=100)


def test_a_warmup_override_replaces_the_workloads_warmup() -> None:
    workload = workload_with(warmup_operations=100).with_overrides(warmup_s="auto")
    assert (workload.warmup_operations, workload.warmup_s) == (0, "auto")
    assert workload.with_overrides(warmup_s=2.5).warmup_s == 2.5
    with pytest.raises(ValueError, match="warmup_s: Input should be greater than or equal to 0"):
        workload.with_overrides(warmup_s=-1.0)
