"""A `--url` naming another driver of an engine's SQL dialect works end to end (docs say
so): the readiness probe passes only the timeout options the driver in use knows."""

from __future__ import annotations

from pathlib import Path

import pytest

from bakeoff.api import run_benchmark
from bakeoff.engines.catalog import engine_spec, spec_for_url
from bakeoff.engines.external import ExternalProvisioner
from bakeoff.engines.provisioning import EngineOptions
from bakeoff.engines.sql_protocol import timeout_arguments
from tests.conftest import ServerPool

pytestmark = pytest.mark.docker


def test_each_driver_gets_only_its_own_timeout_options() -> None:
    assert timeout_arguments("psycopg", 3) == {"connect_timeout": 3}
    assert timeout_arguments("pg8000", 3) == {"timeout": 3}
    assert timeout_arguments("pymysql", 3) == {"connect_timeout": 3, "read_timeout": 3}
    assert timeout_arguments("some-new-driver", 3) == {}


def test_postgres_through_pg8000_answers_and_runs(servers: ServerPool, tmp_path: Path) -> None:
    pytest.importorskip("pg8000")
    running = servers.endpoint("postgres")
    url = running.url.replace("postgresql+psycopg://", "postgresql+pg8000://", 1)
    spec = spec_for_url(engine_spec("postgres"), url)

    endpoint = ExternalProvisioner(spec, url).start()
    result = run_benchmark(
        ["ycsb-c"],
        ["postgres"],
        output=tmp_path,
        records=100,
        operations=200,
        engine_options=EngineOptions(urls={"postgres": url}),
    )

    assert endpoint.version.startswith("PostgreSQL")
    assert spec.adapter == "sql"
    assert result.ok, [t.error for t in result.trials]
    assert result.trials[0].adapter == "sql"
