import math
from typing import Any

import pytest

from bakeoff.core.capabilities import Capability
from bakeoff.core.operations import OPERATIONS
from bakeoff.workloads.model import OperationMix, Workload


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
