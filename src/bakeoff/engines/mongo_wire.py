"""The MongoDB wire protocol (MongoDB, FerretDB): the endpoint URL, the readiness round
trip and the version and settings read back. pymongo is imported only when an engine of
this protocol is used.

Knobs
    Write concern (`w`, `journal`, `wTimeoutMS`) and `readPreference` are client-side:
    the catalog declares them as client knobs, which the adapter applies and every result
    records. Any other knob goes on the server's command line as `--name=value`, which
    both mongod and FerretDB's own command accept (the project's FerretDB image takes
    `--sqlite-url` and `--log-level`).

Version
    `buildInfo`. FerretDB answers it with a MongoDB version it is compatible with
    (7.0.42 for v1.24) and its own in `ferretdbVersion`; the version recorded then names
    FerretDB first, so no result of FerretDB can pass for one of MongoDB.

Settings read back
    `getParameter` for each server knob; FerretDB knows only four parameters, so its
    command-line knobs read back as unreadable.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from bakeoff.engines.protocol import DATABASE, UNREADABLE, USER, ReadinessProbe, ServerFacts

if TYPE_CHECKING:
    from bakeoff.engines.catalog import EngineSpec

CLIENT_KNOBS = {"w": "1", "journal": "false", "readPreference": "primary"}
"""Write concern and read preference, applied by the adapter (pymongo option names): the
client knobs of every engine of this protocol."""
_OP_MSG = 2013
_HEADER = struct.Struct("<iiii")
"""messageLength, requestID, responseTo, opCode: every wire protocol message starts so."""


@contextmanager
def mongo_client(url: str, timeout_s: float) -> Iterator[Any]:
    """A short-lived client for probes and read-backs; it never retries by itself."""
    from pymongo import MongoClient

    client: Any = MongoClient(
        url,
        serverSelectionTimeoutMS=round(timeout_s * 1000),
        connectTimeoutMS=round(timeout_s * 1000),
        socketTimeoutMS=round(timeout_s * 1000),
        retryReads=False,
        retryWrites=False,
        appname="bakeoff-probe",
    )
    try:
        yield client
    finally:
        client.close()


def wire_ping(host: str, port: int, timeout_s: float) -> None:
    """One `ping` as a bare OP_MSG on a fresh socket; raises unless a reply comes back.

    docker's port proxy accepts a connection before the server listens and then drops
    it. pymongo takes that as a failed server check and checks again only 500 ms later
    (its minimum heartbeat interval), which would round start-to-ready up by as much;
    this fails at once instead, so the readiness loop's own short pauses apply.
    """
    import bson

    body = struct.pack("<I", 0) + b"\x00" + bson.encode({"ping": 1, "$db": "admin"})
    message = _HEADER.pack(_HEADER.size + len(body), 1, 0, _OP_MSG) + body
    with socket.create_connection((host, port), timeout=timeout_s) as sock:
        sock.sendall(message)
        header = sock.recv(_HEADER.size)
    if len(header) < _HEADER.size or _HEADER.unpack(header)[3] != _OP_MSG:
        raise ConnectionError("the connection closed before the server answered")


@dataclass(frozen=True)
class MongoPingReady:
    """Ready when an (authenticated, where the URL has credentials) `ping` answers ok.

    A bare wire-protocol ping goes first (see `wire_ping`); then pymongo's, which also
    proves that the URL's credentials log in.
    """

    url: str
    timeout_s: float = 3.0

    def attempt(self) -> None:
        from pymongo.uri_parser import parse_uri

        for host, port in parse_uri(self.url)["nodelist"][:1]:
            wire_ping(host, port, self.timeout_s)
        with mongo_client(self.url, self.timeout_s) as client:
            reply = client.admin.command("ping")
            if float(reply.get("ok", 0)) != 1.0:
                raise RuntimeError(f"ping answered {reply!r}")

    def describe(self) -> str:
        return "ping"


def describe_version(build_info: dict[str, Any]) -> str:
    """The engine and version that answered, from a `buildInfo` reply."""
    version = str(build_info.get("version", "unknown"))
    if "ferretdbVersion" in build_info:
        return f"FerretDB {build_info['ferretdbVersion']} (MongoDB {version} compatible)"
    return f"MongoDB {version}"


def read_facts(url: str, names: Sequence[str], timeout_s: float) -> ServerFacts:
    """The server's own version string and the value of each server parameter in `names`."""
    from pymongo.errors import OperationFailure

    with mongo_client(url, timeout_s) as client:
        admin = client.admin
        version = describe_version(dict(admin.command("buildInfo")))
        settings: dict[str, str] = {}
        for name in names:
            try:
                reply = admin.command({"getParameter": 1, name: 1})
            except OperationFailure:  # not a parameter of this server
                reply = {}
            settings[name] = str(reply[name]) if name in reply else UNREADABLE
        return ServerFacts(version, settings)


class MongoWireProtocol:
    """`--name=value` knobs (mongod and FerretDB's own command both accept them)."""

    name = "mongo"

    def server_url(self, spec: EngineSpec, host: str, port: int, password: str) -> str:
        if not spec.password_env:
            # FerretDB's SQLite backend has no authentication to give a password to.
            return f"{spec.url_scheme}://{host}:{port}/{DATABASE}"
        # The official mongo image creates its root user in the admin database.
        secret = quote(password, safe="")
        return f"{spec.url_scheme}://{USER}:{secret}@{host}:{port}/{DATABASE}?authSource=admin"

    def knob_args(self, knobs: Mapping[str, str]) -> list[str]:
        return [f"--{name}={value}" for name, value in knobs.items()]

    def knob_env(self, knobs: Mapping[str, str]) -> dict[str, str]:
        return {}

    def readiness(self, url: str) -> ReadinessProbe:
        return MongoPingReady(url)

    def read_facts(self, url: str, names: Sequence[str], timeout_s: float) -> ServerFacts:
        return read_facts(url, names, timeout_s)


MONGO = MongoWireProtocol()
