"""An engine that drops the connection is lost, not busy: the SQL adapters raise a fatal
error (which stops the phase), never a transient one that the load would count and go on
past. The server ends the connection itself, as a crash or a failover would."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bakeoff.adapters.errors import FatalError, TransientError
from bakeoff.adapters.postgres import PostgresAdapter
from bakeoff.adapters.protocol import Adapter, TableSpec
from bakeoff.adapters.sql import SqlAdapter
from tests.conftest import ServerPool

pytestmark = pytest.mark.docker

TABLE = TableSpec("connection_loss_t", ("field0",), 10)
_END_OTHER_SESSIONS = {
    "postgres": (
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE pid <> pg_backend_pid() AND datname = current_database()"
    ),
    "mariadb": (
        "SELECT id FROM information_schema.processlist "
        "WHERE id <> CONNECTION_ID() AND db = DATABASE()"
    ),
}


def _end_other_sessions(engine: str, url: str) -> None:
    control = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with control.connect() as connection:
            rows = connection.exec_driver_sql(_END_OTHER_SESSIONS[engine]).all()
            if engine == "mariadb":
                for (session,) in rows:
                    connection.exec_driver_sql(f"KILL CONNECTION {int(session)}")
    finally:
        control.dispose()


@pytest.mark.parametrize(
    ("engine", "adapter_class"),
    [("postgres", PostgresAdapter), ("postgres", SqlAdapter), ("mariadb", SqlAdapter)],
)
def test_a_connection_the_server_ended_is_a_fatal_error(
    servers: ServerPool, engine: str, adapter_class: type[Adapter]
) -> None:
    endpoint = servers.endpoint(engine)
    adapter = adapter_class()
    adapter.connect(endpoint, {})
    try:
        adapter.setup(TABLE)
        adapter.insert(TABLE.name, "k1", {"field0": "v"})
        _end_other_sessions(engine, endpoint.url)

        with pytest.raises(FatalError) as caught:
            for _ in range(3):  # the first call may only notice the closed socket
                adapter.read(TABLE.name, "k1", None)
        assert not isinstance(caught.value, TransientError)
    finally:
        adapter.close()
        fresh = adapter_class()
        fresh.connect(endpoint, {})
        fresh.teardown(TABLE)
        fresh.close()
