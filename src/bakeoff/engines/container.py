"""Server engines in throwaway containers, one per trial, on testcontainers-python.

A container publishes its port on 127.0.0.1 only, gets a fresh random password, runs with
the CPU and memory limits of the run, and counts as started only after a real round trip
(`SELECT 1`, `PING`) succeeds. Its endpoint reports what actually answered: the server's
own version string, the settings read back from it, and the image id and digest.

The Ryuk reaper is disabled (its image cannot be pulled without a registry), so bakeoff
removes its own containers: `stop()`, an `atexit` hook, and `install_signal_cleanup()`
for Ctrl-C and SIGTERM all go through one registry of live containers (`stop_all()`).
Every container is labelled `org.bakeoff.run=1`, so
`docker ps -a --filter label=org.bakeoff.run` shows anything left behind.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import secrets
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING, Any, Protocol, cast
from urllib.parse import quote

from bakeoff.core.endpoint import Endpoint
from bakeoff.core.secrets import redact, redact_url
from bakeoff.engines.base import ProvisionerBase, ProvisioningError
from bakeoff.engines.catalog import (
    EngineSpec,
    Provision,
    ServerKind,
    image_env_var,
    missing_drivers,
    resolve_image,
)
from bakeoff.engines.forwarding import port_forwarding
from bakeoff.engines.images import RECIPE_HASH_LABEL, docker_client, docker_sdk

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

# testcontainers would otherwise start the Ryuk reaper, whose image no registry here
# serves; setdefault leaves an explicit choice of the user alone.
os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")

RUN_LABEL = "org.bakeoff.run"
INSTANCE_LABEL = "org.bakeoff.instance"
PID_LABEL = "org.bakeoff.pid"
LOOPBACK = "127.0.0.1"
USER = "bakeoff"
DATABASE = "bakeoff"
_LOG_LINES = 40
_KNOB_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*\Z")
_MEMORY = re.compile(r"(\d+(?:\.\d+)?)([kmg]?)b?\Z", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


# --- per-server details ---------------------------------------------------------------


def validate_knob_names(knobs: Mapping[str, str]) -> None:
    for name in knobs:
        if not _KNOB_NAME.match(name):
            raise ValueError(
                f"invalid knob name {name!r}: letters, digits, '_', '.', '-' only, "
                "starting with a letter"
            )


def knob_args(kind: ServerKind, knobs: Mapping[str, str]) -> list[str]:
    """Server command-line arguments setting `knobs`, in each server's own syntax."""
    validate_knob_names(knobs)
    args: list[str] = []
    if kind is ServerKind.CQL:
        return args  # Cassandra takes its knobs through the environment: knob_env()
    for name, value in knobs.items():
        if kind is ServerKind.POSTGRES:
            args += ["-c", f"{name}={value}"]
        elif kind in (ServerKind.MYSQL, ServerKind.MONGO):
            args.append(f"--{name}={value}")
        else:
            args += [f"--{name}", value]
    return args


def knob_env(kind: ServerKind, knobs: Mapping[str, str]) -> dict[str, str]:
    """Container environment setting `knobs`, for servers that take knobs that way."""
    validate_knob_names(knobs)
    if kind is ServerKind.CQL:
        from bakeoff.engines import cql

        return cql.knob_env(knobs)
    return {}


def server_url(spec: EngineSpec, host: str, port: int, password: str) -> str:
    secret = quote(password, safe="")
    if spec.server is ServerKind.REDIS:
        return f"{spec.url_scheme}://:{secret}@{host}:{port}/0"
    if spec.server is ServerKind.MONGO and not spec.password_env:
        # FerretDB's SQLite backend has no authentication to give a password to.
        return f"{spec.url_scheme}://{host}:{port}/{DATABASE}"
    if spec.server is ServerKind.MONGO:
        # The official mongo image creates its root user in the admin database.
        return f"{spec.url_scheme}://{USER}:{secret}@{host}:{port}/{DATABASE}?authSource=admin"
    return f"{spec.url_scheme}://{USER}:{secret}@{host}:{port}/{DATABASE}"


def parse_memory(memory: str) -> int:
    """Docker's memory notation (`512m`, `2g`, `1.5g`, bytes) in bytes; binary units."""
    match = _MEMORY.match(memory.strip())
    if not match:
        raise ValueError(f"invalid memory limit {memory!r}: use e.g. 512m or 2g")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


@contextlib.contextmanager
def _sql_connection(url: str, timeout_s: float) -> Iterator[Connection]:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    seconds = max(1, round(timeout_s))
    backend = make_url(url).get_backend_name()
    connect_args: dict[str, Any] = (
        {"connect_timeout": seconds}
        if backend == "postgresql"
        else {"connect_timeout": seconds, "read_timeout": seconds}
    )
    # NullPool: a probe's connection must really close, not linger in a pool.
    engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def _redis_client(url: str, timeout_s: float) -> Any:
    import redis

    return redis.Redis.from_url(
        url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s, decode_responses=True
    )


class ReadinessProbe(Protocol):
    """One round trip to the server; raises while it cannot answer yet."""

    def attempt(self) -> None: ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class SqlQueryReady:
    """Ready when `SELECT 1` returns 1 over a fresh SQLAlchemy connection."""

    url: str
    timeout_s: float = 3.0

    def attempt(self) -> None:
        with _sql_connection(self.url, self.timeout_s) as connection:
            if connection.exec_driver_sql("SELECT 1").scalar_one() != 1:
                raise ProvisioningError("SELECT 1 did not return 1")

    def describe(self) -> str:
        return "SELECT 1"


@dataclass(frozen=True)
class RedisPingReady:
    """Ready when an authenticated PING answers PONG."""

    url: str
    timeout_s: float = 3.0

    def attempt(self) -> None:
        client = _redis_client(self.url, self.timeout_s)
        try:
            if not client.ping():
                raise ProvisioningError("PING did not answer PONG")
        finally:
            client.close()

    def describe(self) -> str:
        return "PING"


def readiness_probe(spec: EngineSpec, url: str) -> ReadinessProbe:
    if spec.server is ServerKind.REDIS:
        return RedisPingReady(url)
    if spec.server is ServerKind.CQL:
        from bakeoff.engines import cql

        return cql.CqlQueryReady(url)
    if spec.server is ServerKind.MONGO:
        from bakeoff.engines import mongo_wire

        return mongo_wire.MongoPingReady(url)
    return SqlQueryReady(url)


class NotReadyError(ProvisioningError):
    def __init__(self, message: str, last_error: BaseException | None) -> None:
        super().__init__(message)
        self.last_error = last_error


def wait_until_ready(
    probe: ReadinessProbe,
    *,
    timeout_s: float,
    check_alive: Callable[[], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Repeat `probe.attempt()` with growing pauses until it succeeds; the attempt count.

    The pauses start at 20 ms (servers here answer within a second) and grow to 0.5 s so
    a slow engine is not flooded. `check_alive` raises when waiting is pointless (the
    container exited). Raises NotReadyError at the deadline.
    """
    deadline = clock() + timeout_s
    pause = 0.02
    attempts = 0
    while True:
        attempts += 1
        try:
            probe.attempt()
        except Exception as error:
            last_error: Exception = error
        else:
            return attempts
        if check_alive is not None:
            check_alive()
        remaining = deadline - clock()
        if remaining <= 0:
            raise NotReadyError(
                f"no answer to {probe.describe()} within {timeout_s:g} s after {attempts} "
                f"attempts (last error: {last_error})",
                last_error,
            )
        sleep(min(pause, remaining))
        pause = min(pause * 1.5, 0.5)


@dataclass(frozen=True)
class ServerFacts:
    version: str
    settings: dict[str, str]


UNREADABLE = "(unreadable)"


def read_server_facts(
    spec: EngineSpec, url: str, names: Sequence[str], timeout_s: float = 5.0
) -> ServerFacts:
    """The server's own version string and the current value of each setting in `names`."""
    validate_knob_names(dict.fromkeys(names, ""))
    if spec.server is ServerKind.CQL:
        from bakeoff.engines import cql

        return ServerFacts(*cql.read_facts(url, names, timeout_s))
    if spec.server is ServerKind.MONGO:
        from bakeoff.engines import mongo_wire

        return ServerFacts(*mongo_wire.read_facts(url, names, timeout_s))
    if spec.server is ServerKind.REDIS:
        client = _redis_client(url, timeout_s)
        try:
            info = cast("dict[str, Any]", client.info("server"))
            settings = {}
            for name in names:
                found = cast("dict[str, str]", client.config_get(name))
                settings[name] = str(found[name]) if name in found else UNREADABLE
            return ServerFacts(str(info.get("redis_version", "unknown")), settings)
        finally:
            client.close()

    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with _sql_connection(url, timeout_s) as connection:
        version = str(connection.execute(text("SELECT version()")).scalar_one())
        settings = {}
        for name in names:
            if spec.server is ServerKind.POSTGRES:
                # missing_ok: an unknown name yields NULL instead of aborting the session
                value = connection.execute(
                    text("SELECT current_setting(:name, true)"), {"name": name}
                ).scalar_one()
            else:
                # System variables cannot be bound parameters; the name was validated
                # above, and options that are not variables (--skip-log-bin) fail here.
                variable = name.replace("-", "_")
                try:
                    value = connection.execute(text(f"SELECT @@GLOBAL.{variable}")).scalar_one()
                except DBAPIError:
                    value = None
            settings[name] = UNREADABLE if value is None else str(value)
        return ServerFacts(version, settings)


def check_drivers(spec: EngineSpec) -> None:
    missing = missing_drivers(spec)
    if missing:
        raise ProvisioningError(
            f"engine {spec.name!r} needs {', '.join(missing)}: pip install 'bakeoff[{spec.extra}]'"
        )


# --- the live-container registry and cleanup ------------------------------------------

_LIVE: dict[str, ContainerProvisioner] = {}
"""Provisioners that may own a container, by instance id. Plain dict operations only:
a signal handler runs in the main thread and must never wait for a lock."""
_PREVIOUS_HANDLERS: dict[int, Any] = {}
_IN_HANDLER: set[int] = set()


def live_provisioners() -> list[ContainerProvisioner]:
    return list(_LIVE.values())


def stop_all() -> None:
    """Remove every container this process started and has not removed yet.

    Called at exit and from the signal handlers; failures are reported on stderr, since
    nobody could act on an exception there.
    """
    for provisioner in list(_LIVE.values()):
        try:
            provisioner.stop()
        except Exception as error:
            print(f"bakeoff: could not remove a container: {error}", file=sys.stderr)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if _IN_HANDLER:
        # A second Ctrl-C while containers are being removed must not abandon the rest.
        return
    _IN_HANDLER.add(signum)
    try:
        stop_all()
    finally:
        _IN_HANDLER.discard(signum)
    previous = _PREVIOUS_HANDLERS.get(signum)
    if callable(previous):
        previous(signum, frame)
        return
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    # SystemExit rather than dying by the signal: finally blocks and atexit still run.
    raise SystemExit(128 + signum)


def install_signal_cleanup(
    signals: Sequence[signal.Signals] = (signal.SIGINT, signal.SIGTERM),
) -> None:
    """Make SIGINT and SIGTERM remove all live containers first, then act as before.

    The previous Python handler is chained (the default SIGINT handler still raises
    KeyboardInterrupt); where there was none, SIGINT raises KeyboardInterrupt and SIGTERM
    raises SystemExit(143), so cleanup code further up still runs. Even a signal the
    process used to ignore now triggers cleanup and exit: a benchmark that survives
    Ctrl-C with containers running is worse. Call once, from the main thread (the CLI
    does); calling again is harmless.
    """
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("install_signal_cleanup() must be called from the main thread")
    for signum in signals:
        current = signal.getsignal(signum)
        if current is _on_signal:
            continue
        _PREVIOUS_HANDLERS[signum] = current
        signal.signal(signum, _on_signal)


atexit.register(stop_all)
# A forked child shares no ownership of its parent's containers; without this, its exit
# (or a signal it receives) would remove containers the parent is still using.
os.register_at_fork(after_in_child=_LIVE.clear)


# --- the provisioner ------------------------------------------------------------------


def _remove_container(client: Any, container_id: str) -> None:
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
        # Applied by the adapter, not the server: recorded with the settings, never passed on.
        self.client_knobs: dict[str, str] = {
            **spec.client_knobs,
            **{k: v for k, v in given.items() if k in spec.client_knobs},
        }
        self.knobs: dict[str, str] = {
            **spec.knobs,
            **{k: v for k, v in given.items() if k not in spec.client_knobs},
        }
        validate_knob_names({**self.knobs, **self.client_knobs})
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

    @property
    def container_id(self) -> str | None:
        return self._container_id

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
        assert spec.server is not None and spec.port is not None
        port_key = f"{spec.port}/tcp"
        env = {
            **spec.container_env,
            **knob_env(spec.server, self.knobs),
            **dict.fromkeys(spec.password_env, self._password),
        }
        container = DockerContainer(self.image, env=env)
        args = knob_args(spec.server, self.knobs)
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
            labels={
                RUN_LABEL: "1",
                INSTANCE_LABEL: self.instance,
                PID_LABEL: str(os.getpid()),
                "org.bakeoff.engine": spec.name,
            },
            **limits,
        )
        self._testcontainer = container
        _LIVE[self.instance] = self
        self._create_attempted = True

        started = time.monotonic()
        container.start()
        wrapped = container.get_wrapped_container()
        self._container_id = str(wrapped.id)
        host_port = self._published_port(port_key)
        url = server_url(spec, LOOPBACK, host_port, self._password)

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
                readiness_probe(spec, url),
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

    def engine_cpu_seconds(self) -> float | None:
        """CPU time all processes in the container have used so far (its cgroup's count).

        Docker's one-shot stats answer in milliseconds; the plain call samples for two
        seconds, which would distort the phase boundaries this is read at, so engines
        too old for one-shot stats (API < 1.41) report None instead.
        """
        if self._container_id is None or self._removed or self._client is None:
            return None
        try:
            stats = self._client.api.stats(self._container_id, stream=False, one_shot=True)
            return int(stats["cpu_stats"]["cpu_usage"]["total_usage"]) / 1e9
        except Exception:
            return None

    def stop(self) -> None:
        """Force-remove the container (and its anonymous volumes). Safe to call again."""
        if self._removed:
            return
        if not self._create_attempted:
            self._removed = True
            _LIVE.pop(self.instance, None)
            return
        client = self._client if self._client is not None else docker_client()
        if self._container_id is not None:
            _remove_container(client, self._container_id)
        # A start interrupted between "create" and its reply leaves a container whose id
        # this object never learnt; the instance label still finds it.
        leftovers = client.api.containers(
            all=True, quiet=True, filters={"label": f"{INSTANCE_LABEL}={self.instance}"}
        )
        for leftover in leftovers:
            _remove_container(client, str(leftover["Id"]))
        self._removed = True
        _LIVE.pop(self.instance, None)
        if self._testcontainer is not None:
            with contextlib.suppress(Exception):
                self._testcontainer.get_docker_client().client.close()
        with contextlib.suppress(Exception):
            client.close()
