"""PostgreSQL primary + one streaming replica (asynchronous, as PostgreSQL ships).

The primary accepts replication connections from the topology's network; the replica
copies it with pg_basebackup (retried until the primary answers), writes its standby
settings (-R) and runs as a hot standby. Ready: pg_stat_replication on the primary shows
the replica streaming, and the replica answers in recovery.
"""

from __future__ import annotations

from collections.abc import Mapping

from bakeoff.engines.base import ProvisioningError
from bakeoff.engines.catalog import EngineSpec
from bakeoff.engines.protocol import ReadinessProbe
from bakeoff.engines.replica_lag import POSTGRES_UPSERT, LagProbe, SqlLagProbe
from bakeoff.engines.sql_protocol import sql_connection
from bakeoff.engines.topology import NodePlan, StartedTopology

PORT = 5432
_PRIMARY = (
    'echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"; '
    'exec bakeoff-entrypoint "$@"'
)
_REPLICA = (
    'export PGPASSWORD="$POSTGRES_PASSWORD"; unset POSTGRES_PASSWORD; '
    'rm -rf "$PGDATA"/*; '
    'until pg_basebackup -h primary -U bakeoff -D "$PGDATA" -R -X stream -c fast -w '
    '> /dev/null 2>&1; do rm -rf "$PGDATA"/*; sleep 0.3; done; '
    'exec postgres -D "$PGDATA" -c hot_standby=on "$@"'
)


class PostgresPrimaryReplica:
    engine = "postgres"
    name = "primary-replica"
    settings: Mapping[str, str] = {
        "replication": "streaming, asynchronous (synchronous_standby_names empty)",
        "replicas": "1",
    }
    client_knobs: Mapping[str, str] = {}
    ready_timeout_s = 60.0

    def plan(self, spec: EngineSpec, knobs: Mapping[str, str]) -> list[NodePlan]:
        assert spec.server is not None
        args = spec.server.knob_args(knobs)
        return [
            NodePlan("primary", "primary", PORT, ("sh", "-c", _PRIMARY, "sh", *args)),
            NodePlan("replica1", "replica", PORT, ("sh", "-c", _REPLICA, "sh", *args)),
        ]

    def probe(self, node: NodePlan, url: str) -> ReadinessProbe | None:
        return None

    def configure(self, started: StartedTopology) -> None:
        pass

    def check_ready(self, started: StartedTopology) -> None:
        with sql_connection(started.url("primary"), 3.0) as connection:
            streaming = connection.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"
            ).scalar_one()
        if streaming < 1:
            raise ProvisioningError("pg_stat_replication shows no replica streaming yet")
        with sql_connection(started.url("replica1"), 3.0) as connection:
            if not connection.exec_driver_sql("SELECT pg_is_in_recovery()").scalar_one():
                raise ProvisioningError("replica1 is not in recovery")

    def lag_probe(self, started: StartedTopology) -> LagProbe | None:
        return SqlLagProbe(started.url("primary"), started.url("replica1"), POSTGRES_UPSERT)

    def read_node(self) -> str:
        return "replica1"

    def read_knobs(self, read_from: str) -> Mapping[str, str]:
        return {}
