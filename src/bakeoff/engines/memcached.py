"""Memcached: its wire protocol as provisioners need it, and its catalog entry.

URL
    ``memcached://host:port``. Memcached has no password to give (the ASCII protocol has
    no login, and the binary protocol's SASL is not built into the images used here): the
    provisioner publishes the port on 127.0.0.1 only, as for every engine, and that is
    the only protection, as for FerretDB.

Knobs
    Memcached's long options, ``--name=value`` (``memory-limit=1024``, ``threads=4``).
    Its flags take no value: a knob set to ``yes`` passes the bare flag
    (``--disable-evictions``) and ``no`` leaves it out, so a run can turn a default flag
    off again.

Readiness
    ``version`` on a raw socket: one line back (``VERSION 1.6.18``), no driver needed.

Facts
    The version from ``stats``; settings from ``stats settings``, whose names are not
    the options': a knob is read back through the setting it controls, in the knob's
    terms (`memory-limit` in megabytes from ``maxbytes``, `disable-evictions` as yes/no
    from ``evictions``). Any other name is looked up as a ``stats settings`` name.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from bakeoff.engines.catalog import EngineSpec, Family, Provision
from bakeoff.engines.protocol import UNREADABLE, ServerFacts

DEFAULT_PORT = 11211
FLAG_ON = "yes"
FLAG_OFF = "no"
_MIB = 1024 * 1024
_ERROR_REPLIES = frozenset({"ERROR", "CLIENT_ERROR", "SERVER_ERROR"})


def _same(value: str) -> str:
    return value


def _mebibytes(value: str) -> str:
    return str(int(value) // _MIB) if value.isdigit() and int(value) % _MIB == 0 else value


def _negated(value: str) -> str:
    """A `disable-*` flag from the setting it turns off (``on``/``yes`` -> ``no``)."""
    return {"on": FLAG_OFF, "yes": FLAG_OFF, "off": FLAG_ON, "no": FLAG_ON}.get(value, value)


OPTION_SETTINGS: Mapping[str, tuple[str, Callable[[str], str]]] = {
    "memory-limit": ("maxbytes", _mebibytes),
    "conn-limit": ("maxconns", _same),
    "threads": ("num_threads", _same),
    "max-item-size": ("item_size_max", _same),
    "disable-evictions": ("evictions", _negated),
    "disable-cas": ("cas_enabled", _negated),
    "disable-flush-all": ("flush_enabled", _negated),
    "port": ("tcpport", _same),
    "listen-backlog": ("tcp_backlog", _same),
    "slab-growth-factor": ("growth_factor", _same),
    "slab-min-size": ("chunk_size", _same),
    "max-reqs-per-event": ("reqs_per_event", _same),
}
"""Long option -> (its `stats settings` name, the setting's value in the option's terms)."""


def address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError(f"no host in {url!r}")
    return parts.hostname, parts.port or DEFAULT_PORT


def exchange(host: str, port: int, command: bytes, timeout_s: float) -> list[str]:
    """Send one text-protocol command on a fresh socket; the reply's lines.

    A reply ends with ``END`` (stats) or is one line (version); an ``ERROR`` line or a
    closed connection before that raises.
    """
    with socket.create_connection((host, port), timeout=timeout_s) as sock:
        sock.sendall(command + b"\r\n")
        reply = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("memcached closed the connection before answering")
            reply += chunk
            lines = reply.decode("utf-8", errors="replace").split("\r\n")
            complete = lines[:-1]  # the part after the last CRLF is still arriving
            if complete and complete[0].partition(" ")[0] in _ERROR_REPLIES:
                raise ConnectionError(f"memcached answered {complete[0]!r} to {command!r}")
            if complete and (complete[-1] == "END" or not command.startswith(b"stats")):
                return complete


def parse_stats(lines: Sequence[str]) -> dict[str, str]:
    """``STAT name value`` lines as a dict (``END`` and anything else ignored)."""
    stats = {}
    for line in lines:
        tag, _, rest = line.partition(" ")
        if tag == "STAT":
            name, _, value = rest.partition(" ")
            stats[name] = value
    return stats


def setting_value(name: str, settings: Mapping[str, str]) -> str:
    """The value of knob or setting `name`, in its own terms, from `stats settings`."""
    setting, convert = OPTION_SETTINGS.get(name, (name.replace("-", "_"), _same))
    value = settings.get(setting)
    return UNREADABLE if value is None else convert(value)


@dataclass(frozen=True)
class VersionReady:
    """Ready when ``version`` answers ``VERSION ...`` on a fresh connection."""

    url: str
    timeout_s: float = 3.0

    def attempt(self) -> None:
        lines = exchange(*address(self.url), b"version", self.timeout_s)
        if not lines[0].startswith("VERSION "):
            raise ConnectionError(f"version answered {lines[0]!r}")

    def describe(self) -> str:
        return "version"


class MemcachedProtocol:
    """Memcached's text protocol, as a provisioner needs it (engines/protocol.py)."""

    name = "memcached"

    def server_url(self, spec: EngineSpec, host: str, port: int, password: str) -> str:
        return f"{spec.url_scheme}://{host}:{port}"  # no authentication: see the module doc

    def knob_args(self, knobs: Mapping[str, str]) -> list[str]:
        args = []
        for name, value in knobs.items():
            if value == FLAG_ON:
                args.append(f"--{name}")
            elif value != FLAG_OFF:
                args.append(f"--{name}={value}")
        return args

    def knob_env(self, knobs: Mapping[str, str]) -> dict[str, str]:
        return {}

    def readiness(self, url: str) -> VersionReady:
        return VersionReady(url)

    def read_facts(self, url: str, names: Sequence[str], timeout_s: float) -> ServerFacts:
        host, port = address(url)
        version = parse_stats(exchange(host, port, b"stats", timeout_s)).get("version")
        settings = parse_stats(exchange(host, port, b"stats settings", timeout_s))
        return ServerFacts(
            version=version or "unknown",
            settings={name: setting_value(name, settings) for name in names},
        )


MEMCACHED = EngineSpec(
    name="memcached",
    display_name="Memcached",
    family=Family.KEY_VALUE,
    adapter="memcached",
    provision=Provision.CONTAINER,
    driver_modules=("pymemcache",),
    extra="memcached",
    url_scheme="memcached",
    image="memcached:1.6.31-bookworm",
    port=DEFAULT_PORT,
    # 1 GiB for items instead of 64 MB, and no evictions: a full server then refuses
    # writes with an error, where by default it would drop records without a word.
    knobs={"memory-limit": "1024", "disable-evictions": FLAG_ON},
    server=MemcachedProtocol(),
    # Memory and evictions are read back through the knobs above.
    reported_settings=("num_threads", "maxconns", "item_size_max"),
    notes=(
        "Tested here with the project's image of Debian's memcached 1.6.18; the official "
        "image (1.6.31) is the default elsewhere but untested here. No authentication "
        "(memcached's text protocol has none), so the port is published on 127.0.0.1 "
        "only. No scans and no exact count: memcached keeps no key order and cannot list "
        "a table's keys (docs/engines.md)."
    ),
)
