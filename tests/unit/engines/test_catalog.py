"""The engine catalog: which adapter an engine gets; entry points and register(),
refusing duplicates and incomplete specs with the source of each definition."""

from __future__ import annotations

from dataclasses import replace
from importlib.metadata import EntryPoint, distributions, entry_points
from pathlib import Path

import pytest

from bakeoff.engines.catalog import (
    CATALOG,
    GROUP,
    EngineCatalog,
    EngineRegistrationError,
    Provision,
    engine_spec,
    spec_for_url,
)

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
BUILTIN = (
    "cassandra",
    "duckdb",
    "ferretdb",
    "mariadb",
    "mongodb",
    "mysql",
    "postgres",
    "redis",
    "sqlite",
)
BROKEN = replace(engine_spec("redis"), name="broken", server=None)
"""A container engine without its ServerProtocol, for an entry point to load."""


def test_bakeoffs_engines_come_from_its_entry_points() -> None:
    assert set(BUILTIN) <= set(CATALOG)
    assert list(CATALOG) == sorted(CATALOG)
    assert "bakeoff.engines.builtin.postgres:SPEC" in CATALOG.source("postgres")
    assert "distribution bakeoff " in CATALOG.source("postgres")


def test_an_engine_registered_in_process_joins_the_catalog() -> None:
    catalog = EngineCatalog()
    copy = replace(engine_spec("sqlite"), name="sqlite-copy")
    catalog.register(copy, source="a notebook")
    assert catalog.spec("sqlite-copy") is copy
    assert catalog.source("sqlite-copy") == "a notebook"
    assert "sqlite-copy" not in CATALOG


def test_a_duplicate_registration_is_refused_naming_both_sources() -> None:
    catalog = EngineCatalog()
    with pytest.raises(EngineRegistrationError) as caught:
        catalog.register(engine_spec("sqlite"), source="the test suite")
    message = str(caught.value)
    assert "'sqlite' is defined twice" in message
    assert "bakeoff.engines.builtin.sqlite:SPEC (distribution bakeoff " in message
    assert message.endswith("and by the test suite")


def test_a_plugin_reusing_an_engine_name_is_refused_naming_both_distributions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = PLUGINS / "duplicate"
    monkeypatch.syspath_prepend(str(folder))
    (plugin,) = distributions(path=[str(folder)])
    catalog = EngineCatalog(
        lambda: [*entry_points(group=GROUP), *plugin.entry_points.select(group=GROUP)]
    )
    with pytest.raises(EngineRegistrationError) as caught:
        catalog.spec("postgres")
    message = str(caught.value)
    assert "'sqlite' is defined twice" in message
    assert "bakeoff.engines.builtin.sqlite:SPEC (distribution bakeoff 0.1.0)" in message
    assert "bakeoff_duplicate:SPEC (distribution bakeoff-duplicate 0.1.0)" in message


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"server": None}, "needs a ServerProtocol"),
        ({"port": None}, "needs the server's port"),
        ({"provision": Provision.EMBEDDED}, "needs an EmbeddedDatabase"),
    ],
)
def test_an_incomplete_spec_is_refused_naming_the_engine_and_its_source(
    change: dict[str, object], problem: str
) -> None:
    spec = replace(engine_spec("redis"), name="half-done", **change)  # type: ignore[arg-type]
    with pytest.raises(EngineRegistrationError, match=problem) as caught:
        EngineCatalog().register(spec, source="plugin x")
    assert "engine 'half-done' from plugin x" in str(caught.value)


def test_an_incomplete_spec_from_an_entry_point_fails_the_catalog_as_it_loads() -> None:
    broken = EntryPoint(name="broken", value=f"{__name__}:BROKEN", group=GROUP)
    catalog = EngineCatalog(lambda: [*entry_points(group=GROUP), broken])
    with pytest.raises(EngineRegistrationError, match="needs a ServerProtocol") as caught:
        list(catalog)
    assert f"engine 'broken' from entry point broken = {__name__}:BROKEN" in str(caught.value)


def test_an_entry_point_must_load_a_spec_of_its_own_name() -> None:
    misnamed = EntryPoint(name="other", value=f"{__name__}:BROKEN", group=GROUP)
    with pytest.raises(EngineRegistrationError, match="must load an EngineSpec named 'other'"):
        EngineCatalog(lambda: [misnamed]).spec("other")


def test_a_url_with_another_driver_of_the_dialect_gets_the_generic_sql_adapter() -> None:
    postgres = engine_spec("postgres")
    assert spec_for_url(postgres, None).adapter == "postgres"
    assert spec_for_url(postgres, "postgresql+psycopg://u:p@h:5/db").adapter == "postgres"
    assert spec_for_url(postgres, "postgresql+pg8000://u:p@h:5/db").adapter == "sql"
    assert spec_for_url(engine_spec("mariadb"), "mysql+mysqldb://u:p@h/db").adapter == "sql"
    redis = engine_spec("redis")
    assert spec_for_url(redis, "rediss://:p@h:1/0") is redis
