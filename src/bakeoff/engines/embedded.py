"""In-process engines (SQLite, DuckDB, …): a fresh database file per trial."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from bakeoff.core.endpoint import Endpoint
from bakeoff.engines.base import ProvisionerBase, ProvisioningError
from bakeoff.engines.catalog import EngineSpec, Provision


class EmbeddedProvisioner(ProvisionerBase):
    """Creates a temporary directory holding one database file; removes it on stop.

    With ``keep=True`` the directory stays, and its path is in the endpoint's provenance.
    """

    def __init__(
        self,
        spec: EngineSpec,
        *,
        knobs: Mapping[str, str] | None = None,
        keep: bool = False,
        parent_dir: Path | None = None,
    ) -> None:
        if spec.provision is not Provision.EMBEDDED or spec.embedded is None:
            raise ProvisioningError(f"{spec.name} is not an embedded engine")
        self.spec = spec
        self.database = spec.embedded
        self.knobs = {**spec.knobs, **(knobs or {})}
        self.keep = keep
        self.parent_dir = parent_dir
        self.directory: Path | None = None

    def start(self) -> Endpoint:
        version = self.database.version()
        self.directory = Path(
            tempfile.mkdtemp(prefix=f"bakeoff-{self.spec.name}-", dir=self.parent_dir)
        )
        database = self.directory / f"bench{self.database.file_suffix}"
        url = f"{self.spec.url_scheme}:///{database}"
        provenance = {"provisioner": "embedded", "database_file": str(database)}
        provenance["kept"] = "yes" if self.keep else "no (removed after the trial)"
        return Endpoint(
            engine=self.spec.name,
            url=url,
            display_url=url,
            version=version,
            settings=dict(self.knobs),
            provenance=provenance,
        )

    def stop(self) -> None:
        directory, self.directory = self.directory, None
        if directory is not None and not self.keep:
            shutil.rmtree(directory, ignore_errors=True)
