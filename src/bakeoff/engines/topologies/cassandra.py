"""A Cassandra ring of three nodes, replication factor 3, QUORUM reads and writes.

Each node gets the image's cassandra.yaml with its own address (listen and broadcast
RPC address: its address on the topology's network) and all three as seeds, and starts
with auto_bootstrap off and consistent range movement off, so the three join at once
instead of one after another (a fresh ring has no data to stream; each join otherwise
waits out the ring delay). Heap 1g per node (the engine's `heap` knob): about 3 GiB.

Ready: every node answers CQL, sees the two others as peers with tokens (nodetool's
"UN" for all three: up, and normal members of the ring), and all agree on the schema.
Then system_auth is replicated to all three nodes and the login role repaired onto them, so a
login does not depend on the one node that held it.

The keyspace the adapter creates gets RF=3 (`replication_factor` knob); reads and writes
run at QUORUM (`consistency_read`/`consistency_write` knobs); `--read-from replica` reads
at ONE, from whichever replica answers first.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from bakeoff.engines.base import ProvisioningError
from bakeoff.engines.catalog import EngineSpec
from bakeoff.engines.cql import cql_session
from bakeoff.engines.protocol import ReadinessProbe
from bakeoff.engines.replica_lag import LagProbe
from bakeoff.engines.topology import NodePlan, StartedTopology

PORT = 9042
NODES = ("node1", "node2", "node3")
REPLICATION_FACTOR = 3
_JOIN_TIMEOUT_S = 180.0
_SEEDS = ",".join(f"{n}:7000" for n in NODES)
_START = (
    "set -e; ip=$(hostname -i | cut -d' ' -f1); conf=/var/lib/cassandra/cassandra.yaml; "
    'sed -e "s/^listen_address: .*/listen_address: $ip/" '
    '-e "s/^broadcast_rpc_address: .*/broadcast_rpc_address: $ip/" '
    f"-e 's/- seeds: .*/- seeds: \"{_SEEDS}\"/' /etc/cassandra/cassandra.yaml > $conf; "
    "echo 'auto_bootstrap: false' >> $conf; "
    'exec bakeoff-entrypoint "-Dcassandra.config=file://$conf" '
    "-Dcassandra.consistent.rangemovement=false"
)


class CassandraRing3:
    engine = "cassandra"
    name = "ring3"
    settings: Mapping[str, str] = {
        "nodes": str(len(NODES)),
        "replication_factor": str(REPLICATION_FACTOR),
        "consistency": "QUORUM reads and writes (ONE for reads with --read-from replica)",
        "system_auth_replication_factor": str(REPLICATION_FACTOR),
    }
    client_knobs: Mapping[str, str] = {
        "replication_factor": str(REPLICATION_FACTOR),
        "consistency_read": "QUORUM",
        "consistency_write": "QUORUM",
    }
    ready_timeout_s = _JOIN_TIMEOUT_S

    def plan(self, spec: EngineSpec, knobs: Mapping[str, str]) -> list[NodePlan]:
        return [NodePlan(name, "peer", PORT, ("bash", "-c", _START)) for name in NODES]

    def probe(self, node: NodePlan, url: str) -> ReadinessProbe | None:
        return None

    def configure(self, started: StartedTopology) -> None:
        deadline = time.monotonic() + _JOIN_TIMEOUT_S
        while True:
            try:
                self.check_ready(started)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1.0)
        from cassandra import ConsistencyLevel
        from cassandra.query import SimpleStatement

        with cql_session(started.url("node1"), 30.0) as session:
            session.execute(
                "ALTER KEYSPACE system_auth WITH replication = "
                f"{{'class': 'SimpleStrategy', 'replication_factor': {REPLICATION_FACTOR}}}"
            )
            # A read at ALL repairs the login role onto the two nodes that lack it.
            session.execute(
                SimpleStatement(
                    "SELECT role FROM system_auth.roles",
                    consistency_level=ConsistencyLevel.ALL,
                ),
                timeout=30.0,
            )

    def check_ready(self, started: StartedTopology) -> None:
        versions = set()
        for name in NODES:
            with cql_session(started.url(name), 5.0) as session:
                local = session.execute("SELECT schema_version FROM system.local").one()
                peers = session.execute(
                    "SELECT peer, tokens, schema_version FROM system.peers"
                ).all()
            joined = [p for p in peers if p[1]]
            if len(joined) != len(NODES) - 1:
                raise ProvisioningError(
                    f"{name} sees {len(joined)} of {len(NODES) - 1} peers joined"
                )
            versions.add(local[0])
            versions.update(p[2] for p in peers)
        if len(versions) != 1:
            raise ProvisioningError(f"the nodes disagree on the schema ({len(versions)} versions)")

    def lag_probe(self, started: StartedTopology) -> LagProbe | None:
        return None  # no primary: a write acknowledged at QUORUM is on two of three

    def read_node(self) -> str:
        return "node1"

    def read_knobs(self, read_from: str) -> Mapping[str, str]:
        return {"consistency_read": "ONE"} if read_from == "replica" else {}
