"""The temporary database folders of embedded engines: removed after the trial, and
after a SIGKILL by `bakeoff runs recover`, never while their process lives or when kept."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.embedded import EmbeddedProvisioner, remove_orphaned_databases


def dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


def test_the_folder_names_its_process_and_goes_with_the_trial(tmp_path: Path) -> None:
    provisioner = EmbeddedProvisioner(engine_spec("sqlite"), parent_dir=tmp_path)
    with provisioner:
        assert provisioner.directory is not None
        assert provisioner.directory.name.startswith(f"bakeoff-sqlite-pid{os.getpid()}-")
        assert remove_orphaned_databases(tmp_path) == []  # its process is alive
    assert list(tmp_path.iterdir()) == []


def test_the_folder_of_a_killed_process_is_removed_and_a_kept_one_is_not(tmp_path: Path) -> None:
    orphan = tmp_path / f"bakeoff-duckdb-pid{dead_pid()}-x1y2"
    orphan.mkdir()
    (orphan / "bench.duckdb").write_bytes(b"data")
    kept = EmbeddedProvisioner(engine_spec("sqlite"), parent_dir=tmp_path, keep=True)
    kept.start()
    unrelated = tmp_path / "bakeoff-notes"
    unrelated.mkdir()

    assert remove_orphaned_databases(tmp_path) == [orphan]

    assert not orphan.exists()
    assert kept.directory is not None and kept.directory.exists()
    assert kept.directory.name.startswith("bakeoff-sqlite-kept-")
    assert unrelated.exists()
