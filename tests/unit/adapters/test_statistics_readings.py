"""The parts of the engine statistics sources that need no engine: numbers, readings,
the parsing of Redis's INFO and MongoDB's nested replies, and which source a URL gets."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bakeoff.adapters.mongo_statistics import flatten
from bakeoff.adapters.redis_statistics import parse_info
from bakeoff.adapters.statistics import sql_statistics, statistics_source
from bakeoff.adapters.statistics_readings import counter, file_size, gauge, number, readings
from bakeoff.core.endpoint import Endpoint
from bakeoff.core.telemetry import MetricKind, MetricReading


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3, 3.0), (2.5, 2.5), (Decimal("7"), 7.0), ("12", 12.0), (b"4", 4.0), ("0.25", 0.25)],
)
def test_numbers_are_read_from_what_drivers_return(value: object, expected: float) -> None:
    assert number(value) == expected


@pytest.mark.parametrize("value", [None, True, "ON", "", float("nan"), float("inf"), [1]])
def test_what_is_no_number_is_none(value: object) -> None:
    assert number(value) is None


def test_a_value_the_engine_left_out_or_gave_as_text_is_absent_not_zero() -> None:
    metrics = {
        "hits": counter("hits", "operations"),
        "time_ms": counter("time_s", "s", 0.001),
        "used": gauge("used_bytes", "bytes"),
        "state": gauge("state", "1"),
    }
    found = readings("e", metrics, {"hits": 5, "time_ms": "1500", "state": "ON"})
    assert found == [
        MetricReading("e.hits", 5.0, "operations", MetricKind.COUNTER),
        MetricReading("e.time_s", 1.5, "s", MetricKind.COUNTER),
    ]


def test_a_missing_file_has_no_size(tmp_path: Path) -> None:
    (tmp_path / "db-wal").write_bytes(b"x" * 10)
    assert file_size(str(tmp_path / "db-wal")) == 10
    assert file_size(str(tmp_path / "absent")) is None


def test_redis_info_fields_and_keys_over_every_database() -> None:
    info = parse_info(
        "# Stats\r\nkeyspace_hits:12\r\nused_memory:1024\r\nmaxmemory:0\r\n\r\n"
        "# Keyspace\r\ndb0:keys=3,expires=0,avg_ttl=0\r\ndb2:keys=4,expires=1,avg_ttl=9\r\n"
    )
    assert info["keyspace_hits"] == "12"
    assert info["used_memory"] == "1024"
    assert info["keys"] == "7"
    assert "maxmemory" not in info  # 0 means no limit: no level to report


def test_redis_info_without_keys_counts_none() -> None:
    assert parse_info("# Keyspace\r\n")["keys"] == "0"


def test_nested_replies_flatten_to_dotted_paths() -> None:
    reply = {"ok": 1.0, "opcounters": {"query": 4}, "metrics": {"commands": {"find": {"total": 2}}}}
    assert flatten(reply) == {"ok": 1.0, "opcounters.query": 4, "metrics.commands.find.total": 2}


def _endpoint(url: str, engine: str = "x") -> Endpoint:
    return Endpoint(engine=engine, url=url, display_url=url)


@pytest.mark.parametrize(
    "url",
    [
        "sqlite+pysqlite:///:memory:",
        "sqlite://",
        "duckdb:///:memory:",
        "mssql+pyodbc://u:p@host/db",  # a dialect without a source
    ],
)
def test_urls_without_a_meaningful_source_get_none(url: str) -> None:
    assert sql_statistics(_endpoint(url)) is None


def test_an_adapter_without_a_source_gets_none() -> None:
    assert statistics_source("noop", _endpoint("noop://")) is None
