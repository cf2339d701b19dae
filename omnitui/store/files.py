"""Content-addressed attachment files: data_dir/attachments/ab/cdef…; same bytes, one file."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def store_bytes(root: Path, data: bytes) -> str:
    """Write `data` once under its SHA-256 and return the hash. Atomic: temp file + rename."""
    digest = hashlib.sha256(data).hexdigest()
    path = blob_path(root, digest)
    if path.exists():
        return digest
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest


def blob_path(root: Path, digest: str) -> Path:
    return root / digest[:2] / digest[2:]
