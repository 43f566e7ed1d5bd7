"""MariaDB primary + one replica, binlog replication (asynchronous, as MariaDB ships).

Both nodes start from the image's identical fresh data directory; the primary writes a
binary log (row format) from its start. Once both answer, a replication user is created
on the primary and the replica is pointed at the primary's binlog position after that
(through the root account, which only a local socket reaches). Ready: the replica's
IO and SQL threads both run (SHOW SLAVE STATUS).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping

from bakeoff.engines.base import ProvisioningError
from bakeoff.engines.catalog import EngineSpec
from bakeoff.engines.protocol import ReadinessProbe
from bakeoff.engines.replica_lag import MARIADB_UPSERT, LagProbe, SqlLagProbe
from bakeoff.engines.topology import NodePlan, StartedTopology

PORT = 3306
_STATUS_LINE = re.compile(r"^\s*(\w+):\s*(.*)$", re.MULTILINE)


def _sql(started: StartedTopology, node: str, statement: str) -> str:
    return started.exec(node, ["mariadb", "--batch", "-e", statement], user="root")


class MariadbPrimaryReplica:
    engine = "mariadb"
    name = "primary-replica"
    settings: Mapping[str, str] = {
        "replication": "binlog (row), asynchronous",
        "replicas": "1",
    }
    client_knobs: Mapping[str, str] = {}
    ready_timeout_s = 60.0

    def plan(self, spec: EngineSpec, knobs: Mapping[str, str]) -> list[NodePlan]:
        assert spec.server is not None
        args = tuple(spec.server.knob_args(knobs))
        return [
            NodePlan(
                "primary",
                "primary",
                PORT,
                (*args, "--server-id=1", "--log-bin=mysql-bin", "--binlog-format=ROW"),
            ),
            NodePlan("replica1", "replica", PORT, (*args, "--server-id=2", "--read-only=1")),
        ]

    def probe(self, node: NodePlan, url: str) -> ReadinessProbe | None:
        return None

    def configure(self, started: StartedTopology) -> None:
        password = secrets.token_hex(16)
        _sql(
            started,
            "primary",
            f"CREATE USER 'replicator'@'%' IDENTIFIED BY '{password}'; "
            "GRANT REPLICATION SLAVE ON *.* TO 'replicator'@'%';",
        )
        status = _sql(started, "primary", "SHOW MASTER STATUS\\G")
        fields = dict(_STATUS_LINE.findall(status))
        if "File" not in fields or "Position" not in fields:
            raise ProvisioningError(f"SHOW MASTER STATUS on the primary said: {status.strip()}")
        _sql(
            started,
            "replica1",
            f"CHANGE MASTER TO MASTER_HOST='primary', MASTER_PORT={PORT}, "
            f"MASTER_USER='replicator', MASTER_PASSWORD='{password}', "
            f"MASTER_LOG_FILE='{fields['File']}', MASTER_LOG_POS={int(fields['Position'])}; "
            "START SLAVE;",
        )

    def check_ready(self, started: StartedTopology) -> None:
        fields = dict(_STATUS_LINE.findall(_sql(started, "replica1", "SHOW SLAVE STATUS\\G")))
        running = (fields.get("Slave_IO_Running"), fields.get("Slave_SQL_Running"))
        if running != ("Yes", "Yes"):
            error = fields.get("Last_IO_Error") or fields.get("Last_SQL_Error") or ""
            raise ProvisioningError(
                f"replica1 IO/SQL threads: {running[0]}/{running[1]} {error}".strip()
            )

    def lag_probe(self, started: StartedTopology) -> LagProbe | None:
        return SqlLagProbe(started.url("primary"), started.url("replica1"), MARIADB_UPSERT)

    def read_node(self) -> str:
        return "replica1"

    def read_knobs(self, read_from: str) -> Mapping[str, str]:
        return {}
