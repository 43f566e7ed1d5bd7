"""An engine someone else runs, reached by URL. bakeoff only checks it and reads it back.

The URL may carry credentials; like every endpoint URL it is never logged, only its
redacted form. Nothing is started, so nothing is ever stopped.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from bakeoff.core.endpoint import Endpoint
from bakeoff.core.secrets import redact, redact_url, url_secrets
from bakeoff.engines.base import ProvisionerBase, ProvisioningError
from bakeoff.engines.catalog import EngineSpec, check_drivers, same_sql_dialect
from bakeoff.engines.server import read_server_facts, server_protocol


class ExternalProvisioner(ProvisionerBase):
    def __init__(self, spec: EngineSpec, url: str) -> None:
        self.server = server_protocol(spec)
        scheme = urlsplit(url).scheme
        accepted = {spec.url_scheme, *spec.other_url_schemes}
        # SQLAlchemy URLs: any driver of the engine's dialect (mysql+mysqldb for mysql+pymysql).
        if scheme not in accepted and not same_sql_dialect(spec, scheme):
            # Only the scheme is echoed: the rest of the URL may hold a password.
            raise ProvisioningError(
                f"engine {spec.name!r} needs a {spec.url_scheme}:// URL, got {scheme or '(none)'}://"
            )
        self.spec = spec
        self._url = url
        self.display_url = redact_url(url)

    def start(self) -> Endpoint:
        """One readiness round trip (no retries: the server is supposed to be up)."""
        check_drivers(self.spec)
        secrets = url_secrets(self._url)
        started = time.monotonic()
        probe = self.server.readiness(self._url)
        try:
            probe.attempt()
            round_trip_s = time.monotonic() - started
            facts = read_server_facts(
                self.spec, self._url, [*self.spec.reported_settings, *self.spec.knobs]
            )
        except Exception as error:
            raise ProvisioningError(
                f"{self.spec.display_name} at {self.display_url} did not answer "
                f"{probe.describe()}: {redact(str(error), secrets)}"
            ) from None
        return Endpoint(
            engine=self.spec.name,
            url=self._url,
            display_url=self.display_url,
            version=facts.version,
            # The adapter applies the client-side defaults to a server it did not start too.
            settings={**facts.settings, **self.spec.client_knobs},
            provenance={
                "provisioner": "external",
                "endpoint": self.display_url,
                "first_round_trip_s": f"{round_trip_s:.3f}",
            },
        )

    def stop(self) -> None:
        """Nothing to stop: the engine belongs to someone else."""
