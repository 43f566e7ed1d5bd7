"""The adapter registry: entry points and register_adapter(), refusing a second adapter of
one name with the source of each."""

from __future__ import annotations

from importlib.metadata import distributions, entry_points
from pathlib import Path
from typing import ClassVar

import pytest

from bakeoff.adapters.registry import (
    GROUP,
    AdapterRegistrationError,
    AdapterRegistry,
    UnknownAdapterError,
    adapter_class,
    available_adapters,
)
from bakeoff.adapters.sql import SqlAdapter

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"


class RenamedSqlAdapter(SqlAdapter):
    name: ClassVar[str] = "renamed-sql"


def test_bakeoffs_adapters_come_from_its_entry_points() -> None:
    assert {"cassandra", "mongo", "postgres", "redis", "sql"} <= set(available_adapters())
    assert adapter_class("sql") is SqlAdapter
    with pytest.raises(UnknownAdapterError, match="installed: cassandra, "):
        adapter_class("nope")


def test_an_adapter_registered_in_process_is_found_by_name() -> None:
    registry = AdapterRegistry()
    registry.register(RenamedSqlAdapter, source="a notebook")
    assert registry.adapter_class("renamed-sql") is RenamedSqlAdapter
    assert "renamed-sql" in registry.names()
    assert "renamed-sql" not in available_adapters()


def test_a_duplicate_registration_is_refused_naming_both_sources() -> None:
    with pytest.raises(AdapterRegistrationError) as caught:
        AdapterRegistry().register(SqlAdapter, source="the test suite")
    message = str(caught.value)
    assert "adapter 'sql' is defined twice" in message
    assert "bakeoff.adapters.sql:SqlAdapter (distribution bakeoff " in message
    assert message.endswith("and by the test suite")


def test_a_plugin_reusing_an_adapter_name_is_refused_naming_both_distributions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = PLUGINS / "duplicate"
    monkeypatch.syspath_prepend(str(folder))
    (plugin,) = distributions(path=[str(folder)])
    registry = AdapterRegistry(
        lambda: [*entry_points(group=GROUP), *plugin.entry_points.select(group=GROUP)]
    )
    with pytest.raises(AdapterRegistrationError) as caught:
        registry.adapter_class("redis")
    message = str(caught.value)
    assert "adapter 'sql' is defined twice" in message
    assert "bakeoff.adapters.sql:SqlAdapter (distribution bakeoff 0.1.0)" in message
    assert "bakeoff_duplicate:SqlLookalike (distribution bakeoff-duplicate 0.1.0)" in message
