"""Attachment bytes, content-addressed by SHA-256; same bytes, kept once.

On SQLite they are files beside the database, data_dir/attachments/ab/cdef…: a row that names a
blob is committed only after the blob is on disk. Blobs of one batch are written first and made
durable together — one `syncfs` of the attachments file system on Linux instead of an fsync per
file, which on a busy disk costs more than everything else ingest does.

On PostgreSQL the hub and the consoles may run on different hosts, so the bytes live in the
database (`attachment_blob`), written in the same transaction as the rows that name them: every
host reads them, `pg_dump` backs them up, and an ingest batch stays all-or-nothing.

Writers: `stage_blobs` before the write transaction (files on SQLite, digests only on
PostgreSQL) and `commit_blobs` inside it, or `keep_blobs` inside it for both steps at once.
Readers: `read_blob` / `open_blob`, never a path, unless the store is known to be SQLite.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import io
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

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


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def blobs_in_database(where: Any) -> bool:
    """Whether this store (a Store, a Tx or a Database) keeps attachment bytes in its tables."""
    return getattr(where, "dialect", "sqlite") == "postgresql"


def stage_blobs(where: Any, root: Path, blobs: Sequence[bytes]) -> list[str]:
    """Before the write transaction: the files, durable (SQLite), or only the digests."""
    if blobs_in_database(where):
        return [digest_of(data) for data in blobs]
    return store_many(root, blobs)


def commit_blobs(tx: Any, blobs: Sequence[bytes]) -> None:
    """Inside the write transaction: the bytes as rows (PostgreSQL); a blob already kept is
    not sent again. Nothing to do on SQLite (`stage_blobs` wrote the files)."""
    if not blobs or not blobs_in_database(tx):
        return
    fresh = {digest_of(data): data for data in blobs}
    for (known,) in tx.all("SELECT sha256 FROM attachment_blob WHERE sha256 = ANY(?)",
                           (list(fresh),)):
        fresh.pop(known, None)
    if fresh:
        tx.executemany("INSERT INTO attachment_blob (sha256, data) VALUES (?, ?) "
                       "ON CONFLICT (sha256) DO NOTHING", list(fresh.items()))


def keep_blobs(tx: Any, root: Path, blobs: Sequence[bytes]) -> list[str]:
    """Both steps from inside the write transaction; the digests, in order."""
    digests = stage_blobs(tx, root, blobs)
    commit_blobs(tx, blobs)
    return digests


def read_blob(store: Any, root: Path, digest: str) -> bytes:
    """The bytes of one blob; FileNotFoundError when the store does not have them."""
    if blobs_in_database(store):
        row = store.conn.execute("SELECT data FROM attachment_blob WHERE sha256 = ?",
                                 (digest,)).fetchone()
        if row is None:
            raise FileNotFoundError(f"no stored bytes for {digest}")
        return bytes(row[0])
    return blob_path(root, digest).read_bytes()


def open_blob(store: Any, root: Path, digest: str) -> BinaryIO:
    """One blob to read from (a file on SQLite, the bytes from the database otherwise)."""
    if blobs_in_database(store):
        return io.BytesIO(read_blob(store, root, digest))
    return open(blob_path(root, digest), "rb")  # the caller closes it
