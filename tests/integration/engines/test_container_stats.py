"""The container source on a real container: the kernel's files are found and read."""

from __future__ import annotations

import pytest
import redis

from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.container import ContainerProvisioner
from bakeoff.engines.container_stats import UNITS, ContainerStatsSource

pytestmark = pytest.mark.docker


def test_a_redis_container_reports_every_metric() -> None:
    provisioner = ContainerProvisioner(engine_spec("redis"))
    try:
        endpoint = provisioner.start()
        source = provisioner.telemetry_source()
        assert isinstance(source, ContainerStatsSource)
        assert source.reads_files  # bakeoff runs beside dockerd here, as root or not
        before = {r.metric: r.value for r in source.read()}
        client = redis.Redis.from_url(endpoint.url)
        for i in range(200):
            client.set(f"k{i}", "v" * 100)
        client.close()
        after = {r.metric: r for r in source.read()}
        assert set(after) == set(UNITS)
        assert after["container.net_rx_bytes"].value > before["container.net_rx_bytes"] + 20_000
        assert after["container.memory_anon_bytes"].value > 0
        cpu = provisioner.engine_cpu_seconds()
        assert cpu is not None and cpu > 0
    finally:
        provisioner.stop()
    assert provisioner.telemetry_source() is None
