"""Files replaced atomically: a reader (a report, a CI job, the next run) sees the old
file or the new one, never half of one, and a crash leaves no temporary file behind."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path


def replace_atomically(
    path: Path, write: Callable[[Path], object], *, durable: bool = True
) -> Path:
    """Write through `write(tmp)` to a hidden file beside `path`, then rename it over `path`.

    `durable` flushes the data to disk before the rename, so a power cut cannot leave a
    renamed but empty file.
    """
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        if durable:
            fsync_path(tmp)
        os.replace(tmp, path)
    except BaseException:
        # The cleanup must not hide why the write failed: on a read-only file system
        # even unlinking a file that is not there raises EROFS.
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise
    return path


def write_bytes_atomically(path: Path, data: bytes, *, durable: bool = True) -> Path:
    return replace_atomically(path, lambda tmp: tmp.write_bytes(data), durable=durable)


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_directory(path: Path) -> None:
    """Make a rename inside `path` durable; some platforms cannot open a directory."""
    with contextlib.suppress(OSError):
        fsync_path(path)
