"""Server engines in throwaway containers, one per trial, on testcontainers-python.

A container publishes its port on 127.0.0.1 only, gets a fresh random password, runs with
the CPU and memory limits of the run, and counts as started only after a real round trip
(`SELECT 1`, `PING`) succeeds. Its endpoint reports what actually answered: the server's
own version string, the settings read back from it, and the image id and digest.
Everything that depends on the server is asked of the engine's `ServerProtocol`.

Every container is registered for removal at exit and on signals (engines/cleanup.py)
and labelled `org.bakeoff.run=1`, so `docker ps -a --filter label=org.bakeoff.run`
shows anything left behind.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, cast
from urllib.parse import quote

from bakeoff.core.endpoint import Endpoint
from bakeoff.core.secrets import redact, redact_url
from bakeoff.engines import cleanup
from bakeoff.engines.base import ProvisionerBase, ProvisioningError
from bakeoff.engines.catalog import (
    EngineSpec,
    Provision,
    check_drivers,
    image_env_var,
    resolve_image,
)
from bakeoff.engines.container_stats import ContainerStatsSource, memory_in_use
from bakeoff.engines.forwarding import port_forwarding
from bakeoff.engines.images import docker_client, docker_sdk
from bakeoff.engines.networks import HOST_LABEL, INSTANCE_LABEL, PID_LABEL, RUN_LABEL, owner_labels
from bakeoff.engines.readiness import NotReadyError, wait_until_ready
from bakeoff.engines.recipes import RECIPE_HASH_LABEL
from bakeoff.engines.server import check_knobs, read_server_facts
from bakeoff.engines.topology_nodes import TopologyNode

# testcontainers would otherwise start the Ryuk reaper, whose image no registry here
# serves; setdefault leaves an explicit choice of the user alone.
os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")

LOOPBACK = "127.0.0.1"
_LOG_LINES = 40
_MEMORY = re.compile(r"(\d+(?:\.\d+)?)([kmg]?)b?\Z", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def parse_memory(memory: str) -> int:
    """Docker's memory notation (`512m`, `2g`, `1.5g`, bytes) in bytes; binary units."""
    match = _MEMORY.match(memory.strip())
    if not match:
        raise ValueError(f"invalid memory limit {memory!r}: use e.g. 512m or 2g")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


# --- the provisioner ------------------------------------------------------------------


def remove_container(client: Any, container_id: str) -> None:
    docker = docker_sdk()
    try:
        client.api.remove_container(container_id, force=True, v=True)
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError as error:
        # 409: a removal is already in progress (say, from the signal handler).
        if getattr(error, "status_code", None) != 409:
            raise


class ContainerProvisioner(ProvisionerBase):
    """Starts `spec`'s server in a container for one trial; `stop()` removes it.

    The image is `image`, else $BAKEOFF_IMAGE_<ENGINE>, else the catalog's official image
    (`resolve_image`). `knobs` override the catalog's defaults and go on the server's
    command line. `cpus` (fractional) and `memory` (`512m`, `2g`) become docker limits.
    """

    def __init__(
        self,
        spec: EngineSpec,
        *,
        image: str | None = None,
        knobs: Mapping[str, str] | None = None,
        cpus: float | None = None,
        memory: str | None = None,
        ready_timeout_s: float | None = None,
    ) -> None:
        if spec.provision is not Provision.CONTAINER or spec.server is None or spec.port is None:
            raise ProvisioningError(f"engine {spec.name!r} is not a container engine")
        if cpus is not None and cpus <= 0:
            raise ValueError(f"cpus must be positive, got {cpus}")
        self.spec = spec
        self.image = resolve_image(spec, image)
        given = dict(knobs or {})
        check_knobs(spec, given)
        # Applied by the adapter, not the server: recorded with the settings, never passed on.
        self.client_knobs: dict[str, str] = {
            **spec.client_knobs,
            **{k: v for k, v in given.items() if k in spec.client_knobs},
        }
        self.knobs: dict[str, str] = {
            **spec.knobs,
            **{k: v for k, v in given.items() if k not in spec.client_knobs},
        }
        self.cpus = cpus
        self.memory = memory
        self.memory_bytes = parse_memory(memory) if memory is not None else None
        self.ready_timeout_s = ready_timeout_s or spec.ready_timeout_s
        self.instance = uuid.uuid4().hex
        self._password = secrets.token_urlsafe(24)
        self._secrets = [self._password, quote(self._password, safe="")]
        self._client: Any = None
        self._testcontainer: Any = None
        self._container_id: str | None = None
        self._create_attempted = False
        self._removed = False
        self._endpoint: Endpoint | None = None
        self._stats: ContainerStatsSource | None = None

    @property
    def container_id(self) -> str | None:
        return self._container_id

    @property
    def nodes(self) -> Sequence[TopologyNode]:
        """A single container is a topology of one node, the primary (RunningTopology)."""
        if self._container_id is None:
            return []
        return [TopologyNode("primary", "primary", self._container_id, None)]

    def start(self) -> Endpoint:
        if self._create_attempted:
            raise ProvisioningError("a ContainerProvisioner starts once; make one per trial")
        check_drivers(self.spec)
        self._client = docker_client()
        image_attrs = self._ensure_image()
        try:
            return self._start(image_attrs)
        except BaseException as error:
            # Leave nothing running, whoever forgets to call stop().
            with contextlib.suppress(Exception):
                self.stop()
            if isinstance(error, ProvisioningError):
                raise
            if isinstance(error, Exception):
                raise ProvisioningError(
                    f"starting {self.spec.display_name} from {self.image} failed: "
                    f"{redact(str(error), self._secrets)}"
                ) from None
            raise

    def _ensure_image(self) -> dict[str, Any]:
        docker = docker_sdk()
        try:
            return cast("dict[str, Any]", self._client.images.get(self.image).attrs)
        except docker.errors.ImageNotFound:
            pass
        try:
            return cast("dict[str, Any]", self._client.images.pull(self.image).attrs)
        except docker.errors.DockerException as error:
            raise ProvisioningError(
                f"image {self.image} is not on this Docker engine and could not be pulled "
                f"({error}). Without registry access, build the local images with "
                f"`bakeoff images build` and point {image_env_var(self.spec.name)} at "
                "them (`bakeoff images env` prints the exports)"
            ) from None

    def _start(self, image_attrs: dict[str, Any]) -> Endpoint:
        from testcontainers.core.container import DockerContainer

        spec = self.spec
        server = spec.server
        assert server is not None and spec.port is not None
        port_key = f"{spec.port}/tcp"
        env = {
            **spec.container_env,
            **server.knob_env(self.knobs),
            **dict.fromkeys(spec.password_env, self._password),
        }
        container = DockerContainer(self.image, env=env)
        args = server.knob_args(self.knobs)
        if args:
            container.with_command(args)
        # testcontainers 4.15 types ports as int-or-None, but hands the mapping to docker,
        # which reads a (host_ip, host_port) tuple as "this address, any free port".
        cast("dict[str, Any]", container.ports)[port_key] = (LOOPBACK, None)
        limits: dict[str, Any] = {}
        if self.cpus is not None:
            limits["nano_cpus"] = round(self.cpus * 1e9)
        if self.memory_bytes is not None:
            # Equal swap limit: a memory limit that spills to swap measures the disk.
            limits["mem_limit"] = self.memory_bytes
            limits["memswap_limit"] = self.memory_bytes
        container.with_name(f"bakeoff-{spec.name}-{self.instance[:12]}")
        container.with_kwargs(
            labels={**owner_labels(self.instance), "org.bakeoff.engine": spec.name},
            **limits,
        )
        self._testcontainer = container
        cleanup.track(self.instance, self)
        self._create_attempted = True

        started = time.monotonic()
        container.start()
        wrapped = container.get_wrapped_container()
        self._container_id = str(wrapped.id)
        host_port = self._published_port(port_key)
        url = server.server_url(spec, LOOPBACK, host_port, self._password)

        def check_alive() -> None:
            wrapped.reload()
            if wrapped.status in ("exited", "dead"):
                code = wrapped.attrs.get("State", {}).get("ExitCode")
                raise ProvisioningError(
                    f"{spec.display_name} container from {self.image} exited (code {code}) "
                    f"before answering; last log lines:\n{self._log_tail()}"
                )

        try:
            attempts = wait_until_ready(
                server.readiness(url),
                timeout_s=self.ready_timeout_s,
                check_alive=check_alive,
            )
        except NotReadyError as error:
            raise ProvisioningError(
                f"{spec.display_name} from {self.image}: {redact(str(error), self._secrets)}; "
                f"last log lines:\n{self._log_tail()}"
            ) from None
        ready_s = time.monotonic() - started

        facts = read_server_facts(spec, url, [*spec.reported_settings, *self.knobs])
        self._endpoint = Endpoint(
            engine=spec.name,
            url=url,
            display_url=redact_url(url),
            version=facts.version,
            settings={**facts.settings, **self.client_knobs},
            provenance=self._provenance(image_attrs, wrapped, host_port, ready_s, attempts),
        )
        return self._endpoint

    def _published_port(self, port_key: str) -> int:
        assert self._container_id is not None
        bindings = self._client.api.port(self._container_id, port_key) or []
        if not bindings:
            raise ProvisioningError(f"docker published no host port for {port_key}")
        exposed = [b for b in bindings if b.get("HostIp") != LOOPBACK]
        if exposed:
            raise ProvisioningError(
                f"refusing to run: {port_key} is published beyond loopback ({exposed})"
            )
        return int(bindings[0]["HostPort"])

    def _provenance(
        self, image_attrs: dict[str, Any], wrapped: Any, host_port: int, ready_s: float, tries: int
    ) -> dict[str, str]:
        labels = image_attrs.get("Config", {}).get("Labels") or {}
        digests = image_attrs.get("RepoDigests") or []
        host_config = wrapped.attrs.get("HostConfig", {})
        return {
            "provisioner": "container",
            "image": self.image,
            "image_id": str(image_attrs.get("Id", "")),
            "image_digest": str(digests[0]) if digests else "none (local build)",
            "recipe_hash": str(labels.get(RECIPE_HASH_LABEL, "")),
            "container_id": str(wrapped.id)[:12],
            "published": f"{LOOPBACK}:{host_port}",
            "port_forwarding": port_forwarding(host_port),
            "cpus": "unlimited" if self.cpus is None else f"{self.cpus:g}",
            "nano_cpus": str(host_config.get("NanoCpus", 0)),
            "memory": self.memory or "unlimited",
            "memory_bytes": str(host_config.get("Memory", 0)),
            "start_to_ready_s": f"{ready_s:.3f}",
            "ready_attempts": str(tries),
        }

    def _log_tail(self) -> str:
        if self._container_id is None or self._client is None:
            return "(no container)"
        try:
            raw = self._client.api.logs(self._container_id, tail=_LOG_LINES)
        except Exception as error:
            return f"(logs unavailable: {error})"
        return redact(bytes(raw).decode("utf-8", errors="replace"), self._secrets).rstrip()

    def telemetry_source(self) -> ContainerStatsSource | None:
        """The running container's CPU, memory, I/O and network (engines/container_stats.py),
        one source per container; None before start and after stop."""
        if self._container_id is None or self._removed or self._client is None:
            return None
        if self._stats is None:
            self._stats = ContainerStatsSource(self._client, self._container_id)
        return self._stats

    def engine_cpu_seconds(self) -> float | None:
        """CPU time all processes in the container have used so far (its cgroup's count);
        None when it cannot be read."""
        source = self.telemetry_source()
        try:
            return source.cpu_seconds() if source is not None else None
        except Exception:
            return None

    def engine_memory_bytes(self) -> int | None:
        """The container's memory in use now, as `docker stats` counts it (container_stats.py:
        `memory_in_use`); None before start, after stop, or when Docker cannot say."""
        if self._container_id is None or self._removed or self._client is None:
            return None
        try:
            stats = self._client.api.stats(self._container_id, stream=False, one_shot=True)
        except Exception:
            return None
        return memory_in_use(stats) if isinstance(stats, dict) else None

    def stop(self) -> None:
        """Force-remove the container (and its anonymous volumes). Safe to call again."""
        if self._removed:
            return
        if self._stats is not None:
            self._stats.close()
        if not self._create_attempted:
            self._removed = True
            cleanup.forget(self.instance)
            return
        client = self._client if self._client is not None else docker_client()
        if self._container_id is not None:
            remove_container(client, self._container_id)
        # A start interrupted between "create" and its reply leaves a container whose id
        # this object never learnt; the instance label still finds it.
        leftovers = client.api.containers(
            all=True, quiet=True, filters={"label": f"{INSTANCE_LABEL}={self.instance}"}
        )
        for leftover in leftovers:
            remove_container(client, str(leftover["Id"]))
        self._removed = True
        cleanup.forget(self.instance)
        if self._testcontainer is not None:
            with contextlib.suppress(Exception):
                self._testcontainer.get_docker_client().client.close()
        with contextlib.suppress(Exception):
            client.close()


def remove_orphaned_containers() -> list[str]:
    """Remove the containers of bakeoff processes of this machine that are gone (killed
    outright, so neither their signal handlers nor `atexit` ran); their names."""
    client = docker_client()
    host = socket.gethostname()
    removed = []
    try:
        for container in client.api.containers(all=True, filters={"label": RUN_LABEL}):
            labels = container.get("Labels") or {}
            pid = labels.get(PID_LABEL, "")
            if labels.get(HOST_LABEL, host) != host or not pid.isdigit():
                continue
            # Created is whole seconds, before the process started it: it must be older.
            if cleanup.process_alive(int(pid), started_by=float(container.get("Created", 0))):
                continue
            remove_container(client, str(container["Id"]))
            names = container.get("Names") or [str(container["Id"])[:12]]
            removed.append(str(names[0]).lstrip("/"))
    finally:
        client.close()
    return removed
