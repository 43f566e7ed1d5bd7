"""Redis servers: `--name value` knobs, readiness by PING, settings via CONFIG GET."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

from bakeoff.engines.base import ProvisioningError
from bakeoff.engines.protocol import UNREADABLE, ReadinessProbe, ServerFacts

if TYPE_CHECKING:
    from bakeoff.engines.catalog import EngineSpec


def redis_client(url: str, timeout_s: float) -> Any:
    import redis

    return redis.Redis.from_url(
        url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s, decode_responses=True
    )


@dataclass(frozen=True)
class RedisPingReady:
    """Ready when an authenticated PING answers PONG."""

    url: str
    timeout_s: float = 3.0

    def attempt(self) -> None:
        client = redis_client(self.url, self.timeout_s)
        try:
            if not client.ping():
                raise ProvisioningError("PING did not answer PONG")
        finally:
            client.close()

    def describe(self) -> str:
        return "PING"


class RedisProtocol:
    name = "redis"

    def server_url(self, spec: EngineSpec, host: str, port: int, password: str) -> str:
        return f"{spec.url_scheme}://:{quote(password, safe='')}@{host}:{port}/0"

    def knob_args(self, knobs: Mapping[str, str]) -> list[str]:
        return [arg for name, value in knobs.items() for arg in (f"--{name}", value)]

    def knob_env(self, knobs: Mapping[str, str]) -> dict[str, str]:
        return {}

    def readiness(self, url: str) -> ReadinessProbe:
        return RedisPingReady(url)

    def read_facts(self, url: str, names: Sequence[str], timeout_s: float) -> ServerFacts:
        client = redis_client(url, timeout_s)
        try:
            info = cast("dict[str, Any]", client.info("server"))
            settings = {}
            for name in names:
                found = cast("dict[str, str]", client.config_get(name))
                settings[name] = str(found[name]) if name in found else UNREADABLE
            return ServerFacts(str(info.get("redis_version", "unknown")), settings)
        finally:
            client.close()


REDIS = RedisProtocol()
