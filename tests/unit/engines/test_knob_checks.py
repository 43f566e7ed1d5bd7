"""Knob names and missing pieces, refused before anything starts."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bakeoff.engines.catalog import UnknownEngineError, engine_spec
from bakeoff.engines.provisioning import EngineOptions, MissingPiecesError, check_engine_options
from bakeoff.engines.server import UnknownKnobError, check_knobs, knob_names_source


def test_a_misspelt_sqlite_pragma_is_refused_naming_the_one_meant() -> None:
    with pytest.raises(UnknownKnobError, match="did you mean synchronous") as caught:
        check_knobs(engine_spec("sqlite"), {"synchronus": "off"})
    assert "PRAGMA pragma_list" in str(caught.value)


def test_known_names_pass_in_any_case() -> None:
    check_knobs(engine_spec("sqlite"), {"Cache_Size": "-2000"})
    check_knobs(engine_spec("postgres"), {"work_mem": "8MB", "DateStyle": "ISO"})
    check_knobs(engine_spec("redis"), {"maxmemory": "1gb"})


def test_postgres_accepts_settings_of_extensions() -> None:
    check_knobs(engine_spec("postgres"), {"pg_stat_statements.max": "1000"})
    with pytest.raises(UnknownKnobError, match="did you mean fsync"):
        check_knobs(engine_spec("postgres"), {"fsinc": "off"})


def test_an_engine_without_a_list_is_not_checked_and_says_so() -> None:
    spec = replace(engine_spec("redis"), known_settings=None)
    check_knobs(spec, {"anything": "1"})
    assert knob_names_source(spec).startswith("not checked")


def test_what_was_checked_goes_to_the_manifest() -> None:
    options = EngineOptions(knobs={"sqlite": {"cache_size": "-2000"}, "duckdb": {}})
    assert options.knob_checks() == {"sqlite": knob_names_source(engine_spec("sqlite"))}


def test_every_missing_piece_is_named_at_once_with_one_pip_line() -> None:
    postgres = replace(engine_spec("postgres"), driver_modules=("no_such_driver_x",))
    redis = replace(engine_spec("redis"), driver_modules=("no_such_driver_y",))
    with pytest.raises(MissingPiecesError) as caught:
        check_engine_options([postgres, redis], EngineOptions())
    message = str(caught.value)
    assert "no_such_driver_x" in message and "no_such_driver_y" in message
    assert message.endswith("pip install 'bakeoff[postgres,redis]'")


def test_an_unknown_engine_gets_the_close_name() -> None:
    with pytest.raises(UnknownEngineError, match="did you mean 'postgres'"):
        engine_spec("postgress")
