"""The container provisioner's checks that need no Docker: knob names and memory limits."""

from __future__ import annotations

import pytest

from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.container import ContainerProvisioner, parse_memory


def test_knob_names_are_checked_before_any_reaches_a_server() -> None:
    with pytest.raises(ValueError, match="invalid knob name"):
        ContainerProvisioner(engine_spec("mariadb"), image="unused", knobs={"x; DROP": "1"})


def test_memory_limits_parse_like_docker() -> None:
    assert parse_memory("512m") == 512 * 1024**2
    assert parse_memory("2G") == 2 * 1024**3
    assert parse_memory("1.5g") == int(1.5 * 1024**3)
    assert parse_memory("1048576") == 1048576
    with pytest.raises(ValueError, match="invalid memory limit"):
        parse_memory("lots")
