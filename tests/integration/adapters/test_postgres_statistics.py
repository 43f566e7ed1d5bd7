"""PostgreSQL's statistics with `pg_stat_statements` loaded: the totals and the most
time-consuming statements appear once the extension exists, named by query id."""

from __future__ import annotations

import pytest

from bakeoff.adapters.postgres_statistics import TOP_STATEMENTS, PostgresStatistics
from bakeoff.adapters.sql_statistics import StatisticsConnection
from bakeoff.core.telemetry import MetricKind
from tests.conftest import ServerPool

pytestmark = pytest.mark.docker


def test_statements_appear_with_the_extension(servers: ServerPool) -> None:
    endpoint = servers.endpoint("postgres", {"shared_preload_libraries": "pg_stat_statements"})
    connection = StatisticsConnection(endpoint)
    source = PostgresStatistics(endpoint)
    try:
        connection.rows("DROP EXTENSION IF EXISTS pg_stat_statements")
        assert not [r for r in source.read() if ".statement" in r.metric]
        connection.rows("CREATE EXTENSION pg_stat_statements")
        for _ in range(3):
            connection.rows("SELECT count(*) AS n FROM pg_class")
        readings = {r.metric: r for r in source.read()}
    finally:
        source.close()
        connection.close()
    calls = readings["postgres.statements.calls"]
    assert calls.kind is MetricKind.COUNTER and calls.value >= 3
    assert readings["postgres.statements.exec_time_s"].unit == "s"
    top = [name for name in readings if name.startswith("postgres.statement_")]
    assert 0 < len(top) <= 2 * TOP_STATEMENTS
    assert all(name.endswith((".calls", ".exec_time_s")) for name in top)


def test_an_extension_not_preloaded_is_absent_not_an_error(servers: ServerPool) -> None:
    endpoint = servers.endpoint("postgres")
    connection = StatisticsConnection(endpoint)
    source = PostgresStatistics(endpoint)
    try:
        # Created, but the server did not load the library: the view cannot answer.
        connection.rows("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        names = [r.metric for r in source.read()]
    finally:
        connection.rows("DROP EXTENSION IF EXISTS pg_stat_statements")
        source.close()
        connection.close()
    assert "postgres.xact_commit" in names
    assert not [n for n in names if ".statement" in n]
