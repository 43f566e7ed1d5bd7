"""The container source on a real container: the kernel's files are found and read."""

from __future__ import annotations

import pytest
import redis

from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.container import ContainerProvisioner
from bakeoff.engines.container_stats import UNITS, ContainerStatsSource, docker_stats_values
from bakeoff.engines.images import docker_client

pytestmark = pytest.mark.docker


def test_a_redis_container_reports_every_metric() -> None:
    provisioner = ContainerProvisioner(engine_spec("redis"))
    try:
        endpoint = provisioner.start()
        source = provisioner.telemetry_source()
        assert isinstance(source, ContainerStatsSource)
        assert source.reads_files  # bakeoff runs beside dockerd here, as root or not
        before = {r.metric: r.value for r in source.read()}
        engine = redis.Redis.from_url(endpoint.url)
        for i in range(200):
            engine.set(f"k{i}", "v" * 100)
        engine.close()
        after = {r.metric: r for r in source.read()}
        assert set(after) == set(UNITS)
        assert after["container.net_rx_bytes"].value > before["container.net_rx_bytes"] + 20_000
        assert after["container.memory_anon_bytes"].value > 0
        cpu = provisioner.engine_cpu_seconds()
        assert cpu is not None and cpu > 0
        # The fallback reads the same container through Docker's one-shot stats.
        client = docker_client()
        try:
            stats = client.api.stats(provisioner.container_id, stream=False, one_shot=True)
        finally:
            client.close()
        from_docker = docker_stats_values(stats)
        assert {"container.cpu_user_s", "container.memory_anon_bytes"} <= set(from_docker)
        assert from_docker["container.net_rx_bytes"] >= after["container.net_rx_bytes"].value
    finally:
        provisioner.stop()
    assert provisioner.telemetry_source() is None
