"""Toxiproxy between the client and a node: degraded links, and an address the client
keeps while the node behind it restarts or changes (docs/faults.md).

One Toxiproxy container per trial, started only when a fault schedule needs it, on the
node's Docker network. Its HTTP API and the proxied port are published on 127.0.0.1
only; bakeoff drives it through the API (add and remove toxics, change the upstream).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from bakeoff.engines import cleanup
from bakeoff.engines.base import ProvisioningError
from bakeoff.engines.images import docker_client, docker_sdk, local_image
from bakeoff.engines.networks import owner_labels

API_PORT = 8474
LISTEN_PORT = 20000
"""The port the proxy listens on inside its container (published on 127.0.0.1)."""
REFUSED = "127.0.0.1:1"
IMAGE_ENV = "BAKEOFF_IMAGE_TOXIPROXY"
OFFICIAL_IMAGE = "ghcr.io/shopify/toxiproxy:2.5.0"
_LOOPBACK = "127.0.0.1"
_READY_S = 15.0


class ToxiproxyError(RuntimeError):
    """Toxiproxy refused a request or could not be started."""


def toxiproxy_image() -> str:
    """$BAKEOFF_IMAGE_TOXIPROXY, else the local build of docker/toxiproxy, else upstream's."""
    return os.environ.get(IMAGE_ENV) or local_image("toxiproxy") or OFFICIAL_IMAGE


class Toxiproxy:
    """A running Toxiproxy with one proxy ("node") in front of `upstream` ("ip:port")."""

    NAME = "node"

    def __init__(self, upstream: str, network: str | None) -> None:
        self.instance = uuid.uuid4().hex
        self._client: Any = docker_client()
        self._container: Any = None
        self._removed = False
        image = toxiproxy_image()
        cleanup.track(self.instance, self)
        try:
            self._container = self._client.containers.run(
                image,
                detach=True,
                name=f"bakeoff-toxiproxy-{self.instance[:12]}",
                network=network or "bridge",
                ports={
                    f"{API_PORT}/tcp": (_LOOPBACK, None),
                    f"{LISTEN_PORT}/tcp": (_LOOPBACK, None),
                },
                # The engines' labels: `remove_orphaned_containers` finds it too.
                labels=owner_labels(self.instance),
            )
            self.api = f"http://{_LOOPBACK}:{self._host_port(API_PORT)}"
            self.port = self._host_port(LISTEN_PORT)
            self._wait_ready()
            self._request(
                "POST",
                "/proxies",
                {"name": self.NAME, "listen": f"0.0.0.0:{LISTEN_PORT}", "upstream": upstream},
            )
        except BaseException as error:
            self.stop()
            if isinstance(error, docker_sdk().errors.DockerException):
                raise ProvisioningError(
                    f"Toxiproxy from {image} could not start ({error}); build it with "
                    "`bakeoff images build toxiproxy`"
                ) from None
            raise

    def _host_port(self, port: int) -> int:
        self._container.reload()
        bindings = self._container.attrs["NetworkSettings"]["Ports"][f"{port}/tcp"]
        return int(bindings[0]["HostPort"])

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + _READY_S
        while True:
            try:
                self._request("GET", "/version")
                return
            except (OSError, ToxiproxyError):
                if time.monotonic() > deadline:
                    raise ToxiproxyError(f"Toxiproxy did not answer at {self.api}") from None
                time.sleep(0.1)

    def _request(self, method: str, path: str, body: object = None) -> object:
        data = json.dumps(body).encode() if body is not None else None
        # The API is http://127.0.0.1:<port>, built here, never a caller's URL.
        request = urllib.request.Request(  # noqa: S310
            self.api + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                text = response.read().decode()
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace").strip()
            raise ToxiproxyError(f"Toxiproxy {method} {path}: {error.code} {detail}") from None
        if not text.strip() or path == "/version":  # /version answers in plain text
            return text.strip() or None
        return json.loads(text)

    def set_upstream(self, upstream: str) -> None:
        self._request("POST", f"/proxies/{self.NAME}", {"upstream": upstream})

    def refuse(self) -> None:
        """Point the proxy where connections are refused at once (its own port 1), as
        they would be by a node that is down; its current connections are closed."""
        self.set_upstream(REFUSED)

    def add_toxic(self, name: str, kind: str, attributes: dict[str, int]) -> None:
        """A toxic on the replies (downstream): what the client waits for."""
        self._request(
            "POST",
            f"/proxies/{self.NAME}/toxics",
            {"name": name, "type": kind, "stream": "downstream", "attributes": attributes},
        )

    def remove_toxic(self, name: str) -> None:
        self._request("DELETE", f"/proxies/{self.NAME}/toxics/{name}")

    def toxics(self) -> list[str]:
        found = self._request("GET", f"/proxies/{self.NAME}/toxics")
        return [str(t["name"]) for t in found] if isinstance(found, list) else []

    def stop(self) -> None:
        """Remove the container; safe to call again."""
        if self._removed:
            return
        self._removed = True
        cleanup.forget(self.instance)
        if self._container is not None:
            with contextlib.suppress(docker_sdk().errors.NotFound):
                self._container.remove(force=True, v=True)
        with contextlib.suppress(Exception):
            self._client.close()
