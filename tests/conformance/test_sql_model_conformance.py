"""The SQL data models pass the data-model conformance suite: the normalised model on
SQLite and DuckDB (embedded) and on PostgreSQL and MariaDB servers in containers, the
JSONB document model on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bakeoff.adapters.data_model import DataModel
from bakeoff.adapters.sql_jsonb import JsonbModel
from bakeoff.adapters.sql_models import NormalisedModel
from bakeoff.core.endpoint import Endpoint
from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.embedded import EmbeddedProvisioner
from bakeoff.testing.model_conformance import ModelConformance
from tests.conftest import ServerPool


@pytest.fixture(params=["sqlite", "duckdb"])
def embedded_endpoint(request: pytest.FixtureRequest) -> Iterator[Endpoint]:
    with EmbeddedProvisioner(engine_spec(request.param)) as endpoint:
        yield endpoint


class TestNormalisedEmbedded(ModelConformance):
    @pytest.fixture
    def model_class(self) -> type[DataModel]:
        return NormalisedModel

    @pytest.fixture
    def endpoint(self, embedded_endpoint: Endpoint) -> Endpoint:
        return embedded_endpoint


@pytest.mark.docker
class TestNormalisedOnServers(ModelConformance):
    @pytest.fixture
    def model_class(self) -> type[DataModel]:
        return NormalisedModel

    @pytest.fixture(params=["postgres", "mariadb"])
    def endpoint(self, request: pytest.FixtureRequest, servers: ServerPool) -> Endpoint:
        return servers.endpoint(str(request.param))


@pytest.mark.docker
class TestJsonbOnPostgres(ModelConformance):
    @pytest.fixture
    def model_class(self) -> type[DataModel]:
        return JsonbModel

    @pytest.fixture
    def endpoint(self, servers: ServerPool) -> Endpoint:
        return servers.endpoint("postgres")
