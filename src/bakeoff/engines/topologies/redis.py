"""Redis primary + one replica + three Sentinels (quorum 2).

Three Sentinels, not one: a lone Sentinel is a single point of failure for failover
itself, and with quorum 1 a Sentinel cut off from the primary promotes a replica on its
own say. Three with quorum 2 is the smallest group Redis documents as safe: two must
agree the primary is down, and a majority (2 of 3) must authorise the failover. A Sentinel
is a few MB of memory. Replication is asynchronous (Redis has no other mode; WAIT is
not used), so a failover may lose acknowledged writes.

Ready: the replica's link to the primary is up, and every Sentinel knows the primary and
reaches a quorum of Sentinels for it (SENTINEL CKQUORUM).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from bakeoff.engines.base import ProvisioningError
from bakeoff.engines.catalog import EngineSpec
from bakeoff.engines.protocol import ReadinessProbe
from bakeoff.engines.redis_protocol import redis_client
from bakeoff.engines.replica_lag import LagProbe, RedisLagProbe
from bakeoff.engines.topology import NodePlan, StartedTopology

PORT = 6379
SENTINEL_PORT = 26379
MASTER_NAME = "bakeoff"
SENTINELS = 3
QUORUM = 2
DOWN_AFTER_MS = 2000
FAILOVER_TIMEOUT_MS = 10000

# The password arrives in REDIS_PASSWORD (as for a single Redis); it is expanded inside
# the container, so it never reaches the container's command line.
_DATA_NODE = 'exec bakeoff-entrypoint --masterauth "$REDIS_PASSWORD" "$@"'
_SENTINEL = (
    "printf '%s\\n' 'port 26379' 'sentinel resolve-hostnames yes' "
    "'sentinel announce-hostnames yes' "
    f"'sentinel monitor {MASTER_NAME} primary {PORT} {QUORUM}' "
    f'"sentinel auth-pass {MASTER_NAME} $REDIS_PASSWORD" '
    f"'sentinel down-after-milliseconds {MASTER_NAME} {DOWN_AFTER_MS}' "
    f"'sentinel failover-timeout {MASTER_NAME} {FAILOVER_TIMEOUT_MS}' "
    '"requirepass $REDIS_PASSWORD" "sentinel sentinel-pass $REDIS_PASSWORD" '
    "> /tmp/sentinel.conf; unset REDIS_PASSWORD; exec redis-server /tmp/sentinel.conf --sentinel"
)


def _sentinel_names() -> list[str]:
    return [f"sentinel{i}" for i in range(1, SENTINELS + 1)]


class RedisSentinel:
    engine = "redis"
    name = "sentinel"
    settings: Mapping[str, str] = {
        "replication": "asynchronous",
        "replicas": "1",
        "sentinels": str(SENTINELS),
        "quorum": str(QUORUM),
        "down_after_ms": str(DOWN_AFTER_MS),
        "failover_timeout_ms": str(FAILOVER_TIMEOUT_MS),
        "master_name": MASTER_NAME,
    }
    client_knobs: Mapping[str, str] = {}
    ready_timeout_s = 60.0

    def plan(self, spec: EngineSpec, knobs: Mapping[str, str]) -> list[NodePlan]:
        assert spec.server is not None
        args = spec.server.knob_args(knobs)
        replica_args = [*args, "--replicaof", "primary", str(PORT)]
        return [
            NodePlan("primary", "primary", PORT, ("sh", "-c", _DATA_NODE, "sh", *args)),
            NodePlan("replica1", "replica", PORT, ("sh", "-c", _DATA_NODE, "sh", *replica_args)),
            *(
                NodePlan(name, "sentinel", SENTINEL_PORT, ("sh", "-c", _SENTINEL), data=False)
                for name in _sentinel_names()
            ),
        ]

    def probe(self, node: NodePlan, url: str) -> ReadinessProbe | None:
        return None

    def configure(self, started: StartedTopology) -> None:
        pass

    def check_ready(self, started: StartedTopology) -> None:
        replica = _info(started.url("replica1"))
        if replica.get("master_link_status") != "up":
            raise ProvisioningError("replica1's link to the primary is not up yet")
        for name in _sentinel_names():
            client = redis_client(started.url(name), 3.0)
            try:
                address = client.execute_command("SENTINEL", "get-master-addr-by-name", MASTER_NAME)
                if not address:
                    raise ProvisioningError(f"{name} does not know the primary yet")
                client.execute_command("SENTINEL", "CKQUORUM", MASTER_NAME)
            except ProvisioningError:
                raise
            except Exception as error:
                raise ProvisioningError(f"{name}: {error}") from None
            finally:
                client.close()

    def lag_probe(self, started: StartedTopology) -> LagProbe | None:
        return RedisLagProbe(started.url("primary"), started.url("replica1"))

    def read_node(self) -> str:
        return "replica1"

    def read_knobs(self, read_from: str) -> Mapping[str, str]:
        return {}


def _info(url: str) -> dict[str, Any]:
    client = redis_client(url, 3.0)
    try:
        return cast("dict[str, Any]", client.info("replication"))
    finally:
        client.close()


def sentinel_primary(started: StartedTopology, sentinel: str = "sentinel1") -> str:
    """The node a Sentinel names as the primary now (after a failover, the promoted
    replica): Sentinels report a host name or an address on the topology's network."""
    client = redis_client(started.url(sentinel), 3.0)
    try:
        host, _ = client.execute_command("SENTINEL", "get-master-addr-by-name", MASTER_NAME)
    finally:
        client.close()
    for name, node in started.nodes.items():
        if host in (name, node.address):
            return name
    raise ProvisioningError(f"{sentinel} names {host} as the primary, which is no node here")
