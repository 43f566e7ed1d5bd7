"""Replicated topologies on real engines: each starts, is ready as a whole, serves a short
YCSB run (reads on the replica where asked), records its nodes and replica lag, and
leaves no container and no network behind: after the run, after a failed start, and
on Ctrl-C.

The Cassandra ring (three JVMs, about 3 GiB, 1.5-2 minutes to join on two busy cores)
is started once, by tests/integration/harness/test_faults_on_topologies.py, which also
kills one of its nodes.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bakeoff.api import run_benchmark
from bakeoff.engines import cleanup
from bakeoff.engines.base import ProvisioningError
from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.container import ContainerProvisioner
from bakeoff.engines.images import build_images, docker_client
from bakeoff.engines.networks import (
    HOST_LABEL,
    INSTANCE_LABEL,
    PID_LABEL,
    RUN_LABEL,
    remove_orphaned_networks,
)
from bakeoff.engines.node_faults import NodeFaults
from bakeoff.engines.provisioning import EngineOptions
from bakeoff.engines.redis_protocol import redis_client
from bakeoff.engines.sql_protocol import sql_connection
from bakeoff.engines.topologies import topology_recipe
from bakeoff.engines.topologies.postgres import PostgresPrimaryReplica
from bakeoff.engines.topologies.redis import MASTER_NAME, sentinel_primary
from bakeoff.engines.topology import StartedTopology, TopologyProvisioner
from bakeoff.engines.topology_nodes import find_node
from bakeoff.harness.trial import TrialRecord

pytestmark = pytest.mark.docker


def _image(engine: str) -> str:
    return next(r.image for r in build_images([engine]) if r.engine == engine)


def _leftovers(network: str) -> list[str]:
    """Containers and networks of one topology still there (its network's name is the
    prefix of its containers' names)."""
    client = docker_client()
    try:
        containers = client.api.containers(all=True, filters={"name": network})
        networks = client.networks.list(names=[network])
        return [str(c["Names"][0]) for c in containers] + [str(n.name) for n in networks]
    finally:
        client.close()


def _run(engine: str, topology: str, tmp_path: Path, read_from: str = "primary") -> TrialRecord:
    result = run_benchmark(
        ["ycsb-b"],
        [engine],
        output=tmp_path,
        records=200,
        duration_s=1.5,
        warmup_s=0,
        engine_options=EngineOptions(
            images={engine: _image(engine)},
            topologies={engine: topology},
            read_from=read_from,
        ),
    )
    (trial,) = result.trials
    assert result.ok, trial.error
    return trial


@pytest.mark.parametrize(
    ("engine", "topology", "read_from"),
    [
        ("postgres", "primary-replica", "replica"),
        ("mariadb", "primary-replica", "replica"),
        ("redis", "sentinel", "replica"),
    ],
)
def test_a_topology_serves_a_run_records_itself_and_leaves_nothing(
    engine: str, topology: str, read_from: str, tmp_path: Path
) -> None:
    trial = _run(engine, topology, tmp_path, read_from)

    provenance = trial.provenance
    assert provenance["topology"] == f"{engine}={topology}"
    assert provenance["read_from"] == read_from
    nodes = provenance["topology_nodes"].split(",")
    assert nodes[:2] == ["primary:primary", "replica1:replica"]
    # MariaDB says "-log" after the version of a server writing a binary log.
    assert trial.engine_version.startswith(provenance["node.replica1.version"])
    assert int(provenance["replica_lag.samples"]) >= 1
    assert float(provenance["replica_lag.max_ms"]) < 5000.0
    assert trial.settings["topology.replicas"] == "1"
    assert _leftovers(provenance["network"]) == []


class _NeverReady(PostgresPrimaryReplica):
    ready_timeout_s = 1.0

    def check_ready(self, started: StartedTopology) -> None:
        raise ProvisioningError("not streaming (on purpose)")


def test_a_topology_that_never_gets_ready_is_removed_with_its_network() -> None:
    provisioner = TopologyProvisioner(
        engine_spec("postgres"), _NeverReady(), image=_image("postgres")
    )
    with pytest.raises(ProvisioningError, match="on purpose"):
        provisioner.start()
    network = f"bakeoff-postgres-{provisioner.instance[:12]}"
    assert _leftovers(network) == []
    assert provisioner not in cleanup.live_provisioners()


_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from bakeoff.engines.catalog import engine_spec
    from bakeoff.engines.cleanup import install_signal_cleanup
    from bakeoff.engines.topologies import topology_recipe
    from bakeoff.engines.topology import TopologyProvisioner

    install_signal_cleanup()
    recipe = topology_recipe("redis", "sentinel")
    provisioner = TopologyProvisioner(engine_spec("redis"), recipe, image=sys.argv[1])
    provisioner.start()
    try:
        print(provisioner.started.network, flush=True)
        while True:
            signal.pause()
    except BaseException as exc:
        print(type(exc).__name__, flush=True)
        # os._exit skips atexit: only the signal handler can have removed the topology.
        os._exit(17)
    """
)


def test_ctrl_c_removes_every_container_and_the_network() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, _image("redis")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        network = child.stdout.readline().strip()
        assert network, child.communicate(timeout=30)[1]
        assert len(_leftovers(network)) == 6  # five containers and the network
        os.kill(child.pid, signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 17, err
    assert out.strip() == "KeyboardInterrupt"
    assert _leftovers(network) == []


def test_recover_removes_the_network_of_a_process_that_is_gone() -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    client = docker_client()
    name = "bakeoff-test-orphaned-network"
    try:
        client.networks.create(
            name,
            labels={
                RUN_LABEL: "1",
                INSTANCE_LABEL: "orphan",
                PID_LABEL: dead.stdout.strip(),
                HOST_LABEL: socket.gethostname(),
            },
        )
        assert name in remove_orphaned_networks()
        assert client.networks.list(names=[name]) == []
    finally:
        for network in client.networks.list(names=[name]):
            network.remove()
        client.close()


def test_a_single_container_is_a_topology_of_one_primary() -> None:
    provisioner = ContainerProvisioner(engine_spec("redis"), image=_image("redis"))
    assert provisioner.nodes == []
    with provisioner:
        (node,) = provisioner.nodes
        assert find_node(provisioner, "primary") == node
        assert node.container_id == provisioner.container_id


def test_sentinel_fails_over_and_a_postgres_replica_is_promoted() -> None:
    redis = TopologyProvisioner(
        engine_spec("redis"), topology_recipe("redis", "sentinel"), image=_image("redis")
    )
    postgres = TopologyProvisioner(
        engine_spec("postgres"),
        topology_recipe("postgres", "primary-replica"),
        image=_image("postgres"),
    )
    try:
        redis.start()
        assert sentinel_primary(redis.started) == "primary"
        client = redis_client(redis.started.url("sentinel2"), 3.0)
        client.execute_command("SENTINEL", "FAILOVER", MASTER_NAME)
        client.close()
        deadline = time.monotonic() + 30
        while sentinel_primary(redis.started) != "replica1" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert sentinel_primary(redis.started) == "replica1"

        postgres.start()
        faults = NodeFaults()
        try:
            faults.promote(find_node(postgres, "replica"))
        finally:
            faults.close()
        with sql_connection(postgres.started.url("replica1"), 5.0) as connection:
            connection.exec_driver_sql("CREATE TABLE promoted (id int)")
    finally:
        redis.stop()
        postgres.stop()
