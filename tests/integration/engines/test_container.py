"""Real containers from the project's local images: started, queried, limited, removed.

Images are built once per session with `build_images` (a few seconds when cached, about
70 s from nothing). Tests without the `docker` mark exercise the pure helpers of the
container module and run everywhere.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from redis.exceptions import RedisError
from sqlalchemy.exc import OperationalError

from bakeoff.adapters.protocol import Endpoint
from bakeoff.core.secrets import redact_url
from bakeoff.engines.base import ProvisioningError
from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.cleanup import live_provisioners
from bakeoff.engines.container import ContainerProvisioner
from bakeoff.engines.external import ExternalProvisioner
from bakeoff.engines.forwarding import KERNEL, USERLAND_PROXY
from bakeoff.engines.images import build_images, docker_client
from bakeoff.engines.networks import PID_LABEL, RUN_LABEL
from bakeoff.engines.redis_protocol import REDIS
from tests.conftest import ServerPool

docker = pytest.mark.docker
ENGINES = ("postgres", "mariadb", "redis")

# A knob per engine that differs from its default, and how the server reports it back.
KNOBS: dict[str, tuple[str, str, str]] = {
    "postgres": ("shared_buffers", "64MB", "64MB"),
    "mariadb": ("innodb_flush_log_at_trx_commit", "2", "2"),
    "redis": ("maxmemory", "64mb", "67108864"),
}
VERSION_MARKERS = {"postgres": "PostgreSQL 15", "mariadb": "MariaDB", "redis": "7."}


@pytest.fixture(scope="session")
def local_images() -> dict[str, str]:
    results = build_images(list(ENGINES))
    return {r.engine: r.image for r in results}


@pytest.fixture(scope="session")
def docker_api(servers: ServerPool) -> Iterator[Any]:
    client = docker_client()
    yield client
    # Whatever happened in the tests, this process must leave no container behind
    # except the session's shared servers, which the pool removes after this check.
    shared = set(servers.container_ids())
    left = client.containers.list(all=True, filters={"label": f"{PID_LABEL}={os.getpid()}"})
    client.close()
    left = [c for c in left if c.id not in shared]
    assert not left, f"containers left behind: {[c.name for c in left]}"


def _password(endpoint: Endpoint) -> str:
    password = urlsplit(endpoint.url).password
    assert password
    return password


def _round_trip(endpoint: Endpoint) -> str:
    """Write and read one value through the driver, independently of the provisioner."""
    spec = engine_spec(endpoint.engine)
    if spec.server is REDIS:
        import redis

        client = redis.Redis.from_url(endpoint.url, decode_responses=True)
        try:
            client.set("bakeoff:k", "v")
            return str(client.get("bakeoff:k"))
        finally:
            client.close()
    from sqlalchemy import create_engine, text

    engine = create_engine(endpoint.url)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (k VARCHAR(10) PRIMARY KEY, v VARCHAR(10))"))
            connection.execute(text("INSERT INTO t VALUES ('k', 'v')"))
            return str(connection.execute(text("SELECT v FROM t WHERE k = 'k'")).scalar_one())
    finally:
        engine.dispose()


@docker
@pytest.mark.parametrize("engine", ENGINES)
def test_container_serves_reports_and_is_removed(
    engine: str, local_images: dict[str, str], docker_api: Any
) -> None:
    spec = engine_spec(engine)
    knob, value, reported = KNOBS[engine]
    provisioner = ContainerProvisioner(
        spec, image=local_images[engine], knobs={knob: value}, cpus=1.0, memory="512m"
    )
    try:
        endpoint = provisioner.start()
        cpu_before = provisioner.engine_cpu_seconds()
        assert _round_trip(endpoint) == "v"
        cpu_after = provisioner.engine_cpu_seconds()
        assert cpu_before is not None and cpu_after is not None
        assert 0 < cpu_before <= cpu_after
        memory = provisioner.engine_memory_bytes()
        assert memory is not None and 0 < memory <= 512 * 1024**2
        assert VERSION_MARKERS[engine] in endpoint.version
        assert endpoint.settings[knob] == reported
        for name in spec.reported_settings:
            assert name in endpoint.settings
        if engine == "redis":
            assert endpoint.settings["appendonly"] == "no"
            assert endpoint.settings["save"] == ""

        container = docker_api.containers.get(provisioner.container_id)
        published = container.attrs["NetworkSettings"]["Ports"][f"{spec.port}/tcp"]
        assert published
        assert {binding["HostIp"] for binding in published} == {"127.0.0.1"}
        assert container.attrs["HostConfig"]["NanoCpus"] == 1_000_000_000
        assert container.attrs["HostConfig"]["Memory"] == 512 * 1024**2
        assert container.labels[RUN_LABEL] == "1"

        password = _password(endpoint)
        assert password not in endpoint.display_url
        assert "***" in endpoint.display_url
        for text in (*endpoint.provenance.values(), *endpoint.settings.values()):
            assert password not in text
        assert endpoint.provenance["image"] == local_images[engine]
        assert endpoint.provenance["image_id"].startswith("sha256:")
        assert endpoint.provenance["published"].startswith("127.0.0.1:")
        assert endpoint.provenance["port_forwarding"] in (USERLAND_PROXY, KERNEL)
        assert 0 < float(endpoint.provenance["start_to_ready_s"]) < spec.ready_timeout_s
        print(f"\n{engine}: start to ready {endpoint.provenance['start_to_ready_s']} s")

        wrong = endpoint.url.replace(quote(password, safe=""), "not-the-password")
        with pytest.raises((OperationalError, RedisError)):
            assert spec.server is not None
            spec.server.readiness(wrong).attempt()
    finally:
        provisioner.stop()
    provisioner.stop()
    assert provisioner.engine_cpu_seconds() is None
    assert provisioner.engine_memory_bytes() is None
    assert provisioner not in live_provisioners()
    assert not docker_api.containers.list(all=True, filters={"id": provisioner.container_id})


@docker
def test_a_server_that_exits_fails_fast_with_its_log(
    local_images: dict[str, str], docker_api: Any
) -> None:
    provisioner = ContainerProvisioner(
        engine_spec("postgres"),
        image=local_images["postgres"],
        # A setting the server knows, with a value it refuses: it exits at start.
        knobs={"shared_buffers": "not-a-size"},
    )
    with pytest.raises(ProvisioningError) as caught, provisioner:
        pytest.fail("must not start")
    message = str(caught.value)
    assert "exited" in message
    assert "shared_buffers" in message  # the server's own complaint, from its log
    assert provisioner.container_id is not None
    assert not docker_api.containers.list(all=True, filters={"id": provisioner.container_id})


@docker
def test_external_provisioner_reads_a_running_server(
    local_images: dict[str, str], docker_api: Any
) -> None:
    spec = engine_spec("postgres")
    with ContainerProvisioner(spec, image=local_images["postgres"]) as running:
        external = ExternalProvisioner(spec, running.url)
        with external as endpoint:
            assert endpoint.version == running.version
            assert endpoint.display_url == running.display_url
            assert endpoint.settings["fsync"] == "on"
            assert endpoint.provenance["provisioner"] == "external"

        password = _password(running)
        wrong = running.url.replace(quote(password, safe=""), "wrong-password")
        with pytest.raises(ProvisioningError) as caught:
            ExternalProvisioner(spec, wrong).start()
        assert "wrong-password" not in str(caught.value)
        assert "password authentication failed" in str(caught.value)
        assert running.display_url in str(caught.value)


def test_external_provisioner_refuses_a_foreign_scheme() -> None:
    with pytest.raises(ProvisioningError, match="needs a redis:// URL, got http://") as caught:
        ExternalProvisioner(engine_spec("redis"), "http://user:s3cret@127.0.0.1:1/")
    assert "s3cret" not in str(caught.value)
    ExternalProvisioner(engine_spec("redis"), "rediss://:pw@127.0.0.1:1/0")


_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from bakeoff.engines.catalog import engine_spec
    from bakeoff.engines.cleanup import install_signal_cleanup
    from bakeoff.engines.container import ContainerProvisioner

    install_signal_cleanup()
    provisioner = ContainerProvisioner(engine_spec("redis"), image=sys.argv[1])
    provisioner.start()
    try:
        # Inside the try: the test signals as soon as it reads this line.
        print(provisioner.container_id, flush=True)
        while True:
            signal.pause()
    except BaseException as exc:
        print(type(exc).__name__, flush=True)
        # os._exit skips atexit: only the signal handler can have removed the container.
        os._exit(17)
    """
)


@docker
@pytest.mark.parametrize(
    ("signum", "raised"),
    [(signal.SIGINT, "KeyboardInterrupt"), (signal.SIGTERM, "SystemExit")],
    ids=["SIGINT", "SIGTERM"],
)
def test_a_signal_removes_the_container(
    signum: int, raised: str, local_images: dict[str, str], docker_api: Any
) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, local_images["redis"]],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        container_id = child.stdout.readline().strip()
        assert container_id, child.communicate(timeout=30)[1]
        assert docker_api.containers.list(all=True, filters={"id": container_id})
        os.kill(child.pid, signum)
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 17, err
    assert out.strip() == raised
    assert not docker_api.containers.list(all=True, filters={"id": container_id})


# --- pure helpers (no Docker) ---------------------------------------------------------


def test_urls_are_redacted() -> None:
    assert redact_url("redis://:p%40ss@127.0.0.1:1/0") == "redis://:***@127.0.0.1:1/0"
    assert (
        redact_url("postgresql+psycopg://u:pw@h:5/db?sslmode=require&password=x")
        == "postgresql+psycopg://u:***@h:5/db?sslmode=require&password=***"
    )
    assert redact_url("redis://127.0.0.1:1/0") == "redis://127.0.0.1:1/0"
