"""The one message an adapter gives when its driver is missing, and the one pip line."""

from __future__ import annotations

from bakeoff.adapters.errors import ErrorKind, missing_driver, pip_install


def test_a_missing_driver_is_fatal_and_names_the_extra_to_install() -> None:
    error = missing_driver("redis", ModuleNotFoundError(name="redis"), "redis")

    assert error.kind is ErrorKind.FATAL
    assert str(error) == (
        "the driver for redis is not installed (redis): pip install 'bakeoff[redis]'"
    )
    generic = missing_driver("duckdb", ModuleNotFoundError(name="duckdb_engine"), None)
    assert str(generic).endswith("install bakeoff with the engine's extra")


def test_pip_line_names_each_extra_once_in_brackets() -> None:
    assert pip_install(["postgres", "containers", "postgres"]) == (
        "pip install 'bakeoff[containers,postgres]'"
    )
    assert pip_install(["(core)"]) == "pip install bakeoff"
