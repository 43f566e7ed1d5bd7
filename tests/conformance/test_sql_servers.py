"""The SQL adapter passes the conformance suite on PostgreSQL and MariaDB servers running
in containers (the project's own images, or BAKEOFF_IMAGE_<ENGINE>), and so does the
PostgreSQL adapter (libpq prepared statements) on PostgreSQL."""

from __future__ import annotations

import re

import pytest

from bakeoff.adapters.errors import FatalError
from bakeoff.adapters.postgres import PostgresAdapter
from bakeoff.adapters.protocol import Adapter, Endpoint, TableSpec
from bakeoff.adapters.sql import SqlAdapter
from bakeoff.testing import AdapterConformance
from tests.conftest import ServerPool

pytestmark = pytest.mark.docker


@pytest.fixture(params=["postgres", "mariadb"])
def sql_server(request: pytest.FixtureRequest, servers: ServerPool) -> Endpoint:
    return servers.endpoint(str(request.param))


class TestSqlAdapterOnServers(AdapterConformance):
    @pytest.fixture
    def adapter_class(self) -> type[Adapter]:
        return SqlAdapter

    @pytest.fixture
    def endpoint(self, sql_server: Endpoint) -> Endpoint:
        return sql_server


class TestPostgresAdapter(AdapterConformance):
    @pytest.fixture
    def adapter_class(self) -> type[Adapter]:
        return PostgresAdapter

    @pytest.fixture
    def endpoint(self, servers: ServerPool) -> Endpoint:
        return servers.endpoint("postgres")


def test_version_is_the_servers_own(servers: ServerPool) -> None:
    assert servers.endpoint("postgres").version.startswith("PostgreSQL 15")
    assert "MariaDB" in servers.endpoint("mariadb").version or "10.11" in (
        servers.endpoint("mariadb").version
    )


def test_a_failed_settle_names_the_statement_and_its_purpose(sql_server: Endpoint) -> None:
    """MariaDB answers a failed ANALYZE TABLE with rows, not an exception; both engines'
    failures reach the runner as an adapter error that says what was being done."""
    table = TableSpec(name="settle_gone", field_names=("field0",), max_field_length=8)
    adapter = SqlAdapter()
    adapter.connect(sql_server, {})
    try:
        adapter.setup(table)
        adapter.teardown(table)
        adapter._table(table)  # known to the adapter, gone from the server
        statement = "VACUUM (ANALYZE)" if sql_server.engine == "postgres" else "ANALYZE TABLE"
        with pytest.raises(FatalError, match=rf"^{re.escape(statement)} .*statistics"):
            adapter.settle(table)
        adapter.setup(table)
        assert adapter.count_records(table.name) == 0, "the connection is still in step"
    finally:
        adapter.teardown(table)
        adapter.close()
