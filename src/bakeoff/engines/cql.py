"""The CQL protocol (Cassandra): the readiness round trip, knobs as container
environment, and the version and settings read back. The cassandra-driver is imported
only when a CQL engine is used.

Knobs
    `heap` becomes MAX_HEAP_SIZE; every other knob is a cassandra.yaml key, set with
    `-Dcassandra.settings.NAME=VALUE` in JVM_EXTRA_OPTS (Cassandra 4.1+ reads those when
    `cassandra.config.allow_system_properties` is on). Both are environment variables the
    official image reads too, so the project's image and the official one take knobs the
    same way; the official image's entrypoint would reject them as arguments.

Settings read back
    The version is `release_version` from system.local; settings come from
    system_views.settings (Cassandra 4.0+), the heap from the system property the
    project's image records (unreadable on other images: Cassandra reports its heap only
    through JMX).
"""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from bakeoff.adapters.cassandra_cql import auth_provider, parse_url
from bakeoff.engines.protocol import DATABASE, UNREADABLE, USER, ReadinessProbe, ServerFacts

if TYPE_CHECKING:
    from bakeoff.engines.catalog import EngineSpec

HEAP_KNOB = "heap"
HEAP_PROPERTY = "cassandra.bakeoff.max_heap_size"
"""Set by the project's image (docker/cassandra/entrypoint.sh) to the heap it started with."""
SETTINGS_PROPERTY_PREFIX = "-Dcassandra.settings."
_NO_SPACE = re.compile(r"\S+\Z")
_SETTING = "SELECT value FROM system_views.settings WHERE name = %s"
_SYSTEM_PROPERTY = "SELECT value FROM system_views.system_properties WHERE name = %s"

# Without a handler of its own, every failed attempt while the server starts would print
# the driver's connection warnings through logging's last-resort handler. Applications
# that configure logging still get the records (they propagate).
logging.getLogger("cassandra").addHandler(logging.NullHandler())


def knob_env(knobs: Mapping[str, str]) -> dict[str, str]:
    """Container environment that applies `knobs` (see the module docstring)."""
    env: dict[str, str] = {}
    options: list[str] = []
    for name, value in knobs.items():
        if not _NO_SPACE.match(value):
            # JVM_EXTRA_OPTS is split at whitespace by both images' start scripts.
            raise ValueError(f"Cassandra knob {name}={value!r}: values cannot contain spaces")
        if name == HEAP_KNOB:
            env["MAX_HEAP_SIZE"] = value
        else:
            options.append(f"{SETTINGS_PROPERTY_PREFIX}{name}={value}")
    if options:
        env["JVM_EXTRA_OPTS"] = " ".join(
            ["-Dcassandra.config.allow_system_properties=true", *options]
        )
    return env


@contextmanager
def cql_session(url: str, timeout_s: float) -> Iterator[Any]:
    """A short-lived session for probes and read-backs: no schema or token metadata, which
    the driver would otherwise fetch on connect and a probe never needs."""
    from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
    from cassandra.policies import WhiteListRoundRobinPolicy
    from cassandra.query import tuple_factory

    target = parse_url(url)
    auth = auth_provider(target)
    profile = ExecutionProfile(
        # The node asked about, never a peer the driver found: a probe of one node of a
        # ring must not be answered by another.
        load_balancing_policy=WhiteListRoundRobinPolicy([target.host]),
        request_timeout=timeout_s,
        row_factory=tuple_factory,
    )
    cluster = Cluster(
        [target.host],
        port=target.port,
        auth_provider=auth,
        execution_profiles={EXEC_PROFILE_DEFAULT: profile},
        connect_timeout=timeout_s,
        control_connection_timeout=timeout_s,
        schema_metadata_enabled=False,
        token_metadata_enabled=False,
    )
    try:
        yield cluster.connect()
    finally:
        cluster.shutdown()


_OPTIONS_FRAME = bytes([0x04, 0, 0, 0, 0x05, 0, 0, 0, 0])
"""Native protocol v4 request header: version 4, no flags, stream 0, OPTIONS, no body."""
_SUPPORTED = 0x06


def options_round_trip(host: str, port: int, timeout_s: float) -> None:
    """Send OPTIONS on a fresh connection; raises unless a SUPPORTED frame comes back."""
    with socket.create_connection((host, port), timeout=timeout_s) as sock:
        sock.sendall(_OPTIONS_FRAME)
        header = b""
        while len(header) < len(_OPTIONS_FRAME):
            chunk = sock.recv(len(_OPTIONS_FRAME) - len(header))
            if not chunk:
                raise ConnectionError("the CQL port closed the connection without answering")
            header += chunk
    if header[4] != _SUPPORTED:
        raise ConnectionError(f"the CQL port answered OPTIONS with opcode {header[4]:#04x}")


@dataclass(frozen=True)
class CqlQueryReady:
    """Ready when an authenticated `SELECT release_version FROM system.local` answers.

    The port opens before the login role exists (the server creates it a moment later),
    so a successful login is part of being ready.
    """

    url: str
    timeout_s: float = 5.0

    def attempt(self) -> None:
        target = parse_url(self.url)
        # The driver notices a refused or reset connection only at its connect timeout
        # (seconds per attempt, measured: always the full 5 s while docker's proxy resets
        # it), which would round start-to-ready up by as much. A bare OPTIONS frame
        # fails within a millisecond instead.
        options_round_trip(target.host, target.port, self.timeout_s)
        with cql_session(self.url, self.timeout_s) as session:
            row = session.execute("SELECT release_version FROM system.local").one()
            if row is None or not row[0]:
                raise RuntimeError("system.local has no release_version yet")

    def describe(self) -> str:
        return "SELECT release_version FROM system.local"


def read_facts(url: str, names: Sequence[str], timeout_s: float) -> ServerFacts:
    """The server's release_version and the current value of each setting in `names`."""
    from cassandra import InvalidRequest

    with cql_session(url, timeout_s) as session:
        row = session.execute("SELECT release_version FROM system.local").one()
        version = str(row[0]) if row is not None else "unknown"
        settings: dict[str, str] = {}
        for name in names:
            if name == HEAP_KNOB:
                query, key = _SYSTEM_PROPERTY, HEAP_PROPERTY
            else:
                query, key = _SETTING, name
            try:
                found = session.execute(query, (key,)).one()
            except InvalidRequest:  # no such virtual table before Cassandra 4.0
                found = None
            settings[name] = UNREADABLE if found is None or found[0] is None else str(found[0])
        return ServerFacts(version, settings)


class CqlProtocol:
    """Knobs as environment (see the module docstring); readiness and settings through
    cassandra-driver."""

    name = "cql"

    def server_url(self, spec: EngineSpec, host: str, port: int, password: str) -> str:
        return f"{spec.url_scheme}://{USER}:{quote(password, safe='')}@{host}:{port}/{DATABASE}"

    def knob_args(self, knobs: Mapping[str, str]) -> list[str]:
        return []  # the official image's entrypoint would reject them: see knob_env

    def knob_env(self, knobs: Mapping[str, str]) -> dict[str, str]:
        return knob_env(knobs)

    def readiness(self, url: str) -> ReadinessProbe:
        return CqlQueryReady(url)

    def read_facts(self, url: str, names: Sequence[str], timeout_s: float) -> ServerFacts:
        return read_facts(url, names, timeout_s)


CQL = CqlProtocol()
