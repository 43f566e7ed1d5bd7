"""Atomic replacement: readers see the old file or the new one, and no temporary stays."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from bakeoff.core.files import replace_atomically, write_bytes_atomically


def test_the_new_content_replaces_the_old(tmp_path: Path) -> None:
    target = tmp_path / "manifest.json"
    target.write_text("old")

    write_bytes_atomically(target, b"new")

    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("old")

    def half_written(tmp: Path) -> None:
        tmp.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        replace_atomically(target, half_written)

    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_the_cleanup_never_hides_why_the_write_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    real_unlink = Path.unlink

    def read_only_unlink(self: Path, missing_ok: bool = False) -> None:
        real_unlink(self, missing_ok=missing_ok)
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    # On a read-only file system even unlinking raises EROFS; the write's ENOSPC must win.
    monkeypatch.setattr(Path, "unlink", read_only_unlink)
    with pytest.raises(OSError) as caught:
        replace_atomically(tmp_path / "f", full)
    assert caught.value.errno == errno.ENOSPC
    assert list(tmp_path.iterdir()) == []
