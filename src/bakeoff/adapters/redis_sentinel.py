"""Finding a Redis primary through Sentinel, as applications with a Sentinel group do.

An application behind Sentinel never keeps the primary's address: it asks the Sentinels
for the master by name (`redis.sentinel.Sentinel.discover_master`) each time it
connects, so after a failover its next connection goes to the promoted replica. The
endpoint of bakeoff's `redis=sentinel` topology records the master's name
(`topology.master_name`), its nodes and roles (`topology_nodes`), and each node's address
on the topology's network and the port published for it on 127.0.0.1
(`node.NAME.address`, `node.NAME.published`). The Sentinels answer with a node's host
name or address on that network, which the client outside it cannot reach: like an
address translation in front of a cluster, the answer is mapped to the node's published
port.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from bakeoff.adapters.errors import FatalError
from bakeoff.adapters.protocol import Endpoint

MASTER_NAME_SETTING = "topology.master_name"
SENTINEL_ROLE = "sentinel"
_TIMEOUT_S = 2.0


def _published(provenance: Mapping[str, str], name: str) -> tuple[str, int]:
    host, _, port = provenance.get(f"node.{name}.published", "").rpartition(":")
    return host, int(port) if port.isdigit() else 0


def sentinel_addresses(provenance: Mapping[str, str]) -> list[tuple[str, int]]:
    """The Sentinels' published (host, port), from the topology's node list."""
    found = []
    for item in provenance.get("topology_nodes", "").split(","):
        name, _, role = item.partition(":")
        if role == SENTINEL_ROLE:
            host, port = _published(provenance, name)
            if port:
                found.append((host, port))
    return found


def translate(provenance: Mapping[str, str], host: str, port: int) -> tuple[str, int]:
    """The published (host, port) of the node a Sentinel names by host name or address."""
    for item in provenance.get("topology_nodes", "").split(","):
        name = item.partition(":")[0]
        if host in (name, provenance.get(f"node.{name}.address")):
            published = _published(provenance, name)
            if published[1]:
                return published
    return host, port


def follows_sentinel(endpoint: Endpoint) -> bool:
    return bool(endpoint.settings.get(MASTER_NAME_SETTING)) and bool(
        sentinel_addresses(endpoint.provenance)
    )


def discover_master(endpoint: Endpoint) -> Endpoint:
    """`endpoint` pointed at the primary the Sentinels name now; FatalError when none
    answers or none knows a primary (during a failover, until a replica is promoted)."""
    from redis.sentinel import Sentinel

    password = urlsplit(endpoint.url).password
    sentinel: Any = Sentinel(  # type: ignore[no-untyped-call]
        sentinel_addresses(endpoint.provenance),
        socket_timeout=_TIMEOUT_S,
        sentinel_kwargs={"password": password, "socket_timeout": _TIMEOUT_S},
    )
    try:
        host, port = sentinel.discover_master(endpoint.settings[MASTER_NAME_SETTING])
    except Exception as exc:
        raise FatalError(f"no primary from the Sentinels: {type(exc).__name__}: {exc}") from exc
    finally:
        for client in sentinel.sentinels:
            client.close()
    host, port = translate(endpoint.provenance, str(host), int(port))
    parts = urlsplit(endpoint.url)
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}:{port}" if userinfo else f"{host}:{port}"
    url = parts._replace(netloc=netloc).geturl()
    return replace(endpoint, url=url, display_url=f"{parts.scheme}://{host}:{port}{parts.path}")
