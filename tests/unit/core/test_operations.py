from bakeoff.core.capabilities import Capability
from bakeoff.core.operations import BY_NAME, OPERATIONS, Argument


def test_table_order_is_the_workload_order() -> None:
    assert [op.name for op in OPERATIONS][:6] == [
        "read",
        "update",
        "insert",
        "scan",
        "read_modify_write",
        "delete",
    ]


def test_read_modify_write_is_read_then_update() -> None:
    rmw = BY_NAME["read_modify_write"]
    assert rmw.steps == ("read", "update")
    assert rmw.arguments == (Argument.KEY, Argument.READ_FIELDS, Argument.WRITE_VALUES)
    assert rmw.not_found_result is None
    assert rmw.split_method is None
    assert rmw.ycsb_property == "readmodifywriteproportion"


def test_capabilities_of_scan_and_delete() -> None:
    assert BY_NAME["scan"].capabilities == {Capability.SCAN, Capability.ORDERED_SCAN}
    assert BY_NAME["delete"].capabilities == {Capability.DELETE}
    assert not BY_NAME["read"].capabilities


def test_every_step_and_method_is_consistent() -> None:
    for op in OPERATIONS:
        assert bool(op.method) != bool(op.steps), op.name
        for step in op.steps:
            assert set(BY_NAME[step].arguments) <= set(op.arguments)
