"""In-process engines (SQLite, DuckDB, …): a fresh database file per trial.

The file lives in a temporary directory named after the bakeoff process
(`bakeoff-<engine>-pid<pid>-…`), removed when the trial ends; a process killed outright
cannot, so `bakeoff runs recover` removes the directories of dead processes
(`remove_orphaned_databases`). A directory kept on purpose (`keep`) is named without
the pid and never removed.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from bakeoff.core.endpoint import Endpoint
from bakeoff.engines.base import ProvisionerBase, ProvisioningError
from bakeoff.engines.catalog import EngineSpec, Provision
from bakeoff.engines.cleanup import process_alive

_OWNED_DIRECTORY = re.compile(r"^bakeoff-[A-Za-z0-9_.-]+?-pid(\d+)-[^/]+$")
"""A temporary directory removed after its trial, named with its process's pid."""


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
        owner = "kept" if self.keep else f"pid{os.getpid()}"
        self.directory = Path(
            tempfile.mkdtemp(prefix=f"bakeoff-{self.spec.name}-{owner}-", dir=self.parent_dir)
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


def remove_orphaned_databases(parent_dir: Path | None = None) -> list[Path]:
    """Remove the database directories (in `parent_dir`, by default the temporary
    folder) whose bakeoff process is gone; returns the paths removed."""
    parent = Path(parent_dir) if parent_dir is not None else Path(tempfile.gettempdir())
    removed = []
    for directory in sorted(parent.glob("bakeoff-*-pid*-*")):
        match = _OWNED_DIRECTORY.match(directory.name)
        if match is None or not directory.is_dir() or directory.is_symlink():
            continue
        try:
            # Every file in it was created after its process started, so a process
            # that started later only reuses the pid.
            last_change = directory.stat().st_mtime
        except OSError:
            continue
        if process_alive(int(match[1]), started_by=last_change):
            continue
        shutil.rmtree(directory, ignore_errors=True)
        if not directory.exists():
            removed.append(directory)
    return removed
