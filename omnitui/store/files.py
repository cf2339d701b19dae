"""Content-addressed attachment files: data_dir/attachments/ab/cdef…; same bytes, one file.

A row that names a blob is committed only after the blob is on disk. Blobs of one batch are
written first and made durable together — one `syncfs` of the attachments file system on Linux
instead of an fsync per file, which on a busy disk costs more than everything else ingest does.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from omnitui.store.data_files import DataDirAccess

_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
_syncfs = getattr(_libc, "syncfs", None)


def store_bytes(root: Path, data: bytes) -> str:
    """Write one blob durably and return its SHA-256."""
    return store_many(root, [data])[0]


def store_many(root: Path, blobs: Iterable[bytes]) -> list[str]:
    """Write blobs (each once, atomically: temp file + rename), then make them all durable."""
    digests: list[str] = []
    written: list[Path] = []
    access = DataDirAccess.of(root.parent)  # attachments/ sits in the data dir
    for data in blobs:
        digest = hashlib.sha256(data).hexdigest()
        digests.append(digest)
        path = blob_path(root, digest)
        if path.exists():
            continue
        access.make_dirs(path.parent)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            access.settle_fd(fd)  # mkstemp makes 0600: the hub and every agent read blobs
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(path)
    if written:
        _make_durable(root, written)
    return digests


def _make_durable(root: Path, paths: list[Path]) -> None:
    fd = os.open(root, os.O_RDONLY)
    try:
        if _syncfs is not None and _syncfs(fd) == 0:
            return
    finally:
        os.close(fd)
    for path in paths:  # no syncfs: one fsync per file and per directory
        with open(path, "rb") as fh:
            os.fsync(fh.fileno())
    for directory in {p.parent for p in paths}:
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def blob_path(root: Path, digest: str) -> Path:
    return root / digest[:2] / digest[2:]
