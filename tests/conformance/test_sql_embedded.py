"""The SQL adapter passes the conformance suite on the embedded engines."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bakeoff.adapters.protocol import Adapter, Endpoint
from bakeoff.adapters.sql import SqlAdapter
from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.embedded import EmbeddedProvisioner
from bakeoff.testing import AdapterConformance


@pytest.fixture(params=["sqlite", "duckdb"])
def embedded_endpoint(request: pytest.FixtureRequest) -> Iterator[Endpoint]:
    with EmbeddedProvisioner(engine_spec(request.param)) as endpoint:
        yield endpoint


class TestSqlAdapterEmbedded(AdapterConformance):
    @pytest.fixture
    def adapter_class(self) -> type[Adapter]:
        return SqlAdapter

    @pytest.fixture
    def endpoint(self, embedded_endpoint: Endpoint) -> Endpoint:
        return embedded_endpoint
