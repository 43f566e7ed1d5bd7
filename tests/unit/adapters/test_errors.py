"""The one message an adapter gives when its driver is missing."""

from __future__ import annotations

from bakeoff.adapters.errors import ErrorKind, missing_driver


def test_a_missing_driver_is_fatal_and_names_the_extra_to_install() -> None:
    error = missing_driver("redis", ModuleNotFoundError(name="redis"), "redis")

    assert error.kind is ErrorKind.FATAL
    assert str(error) == (
        "the driver for redis is not installed (redis); install bakeoff with the 'redis' extra"
    )
    generic = missing_driver("duckdb", ModuleNotFoundError(name="duckdb_engine"), None)
    assert str(generic).endswith("install bakeoff with the matching extra")
