"""The SQL adapter passes the conformance suite on PostgreSQL and MariaDB servers running
in containers (the project's own images, or BAKEOFF_IMAGE_<ENGINE>), and so does the
PostgreSQL adapter (libpq prepared statements) on PostgreSQL."""

from __future__ import annotations

import pytest

from bakeoff.adapters.postgres import PostgresAdapter
from bakeoff.adapters.protocol import Adapter, Endpoint
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
