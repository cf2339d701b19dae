"""A conversation's files, and saving one under its own name into an agent's files folder.

Files sit in the data dir under hash names (store/files.py); an agent wants them back under
the name the customer gave, in a folder of their own, without ever losing a file already
there. The name is made safe first: it came from a stranger (`../../etc/passwd` is a name).
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from omnitui.core.errors import ActionError, NotFound
from omnitui.core.sanitize import clean_line
from omnitui.store.db import Store
from omnitui.store.files import open_blob

MAX_NAME_BYTES = 200  # well under every file system's 255, leaving room for " (99)"
COPY_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class FileRow:
    """One attachment of a conversation, as lists show it."""

    id: int
    message_id: int
    conversation_id: int
    direction: str  # "received" (the customer's) or "sent" (an agent's)
    filename: str  # already safe: see safe_filename
    content_type: str
    size: int
    created_at: float
    available: bool  # False when the file was too large to fetch (note says why)
    note: str | None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def safe_filename(name: str | None) -> str:
    """A stranger's file name as one harmless name: no control characters, no path
    separators, not hidden, not `..`, at most MAX_NAME_BYTES in UTF-8 (extension kept)."""
    text = (clean_line(name or "") or "").replace("/", "_").replace("\\", "_").replace("\0", "")
    text = text.strip().lstrip(".").strip() or "attachment"
    if len(text.encode("utf-8")) > MAX_NAME_BYTES:
        stem, dot, ext = text.rpartition(".")
        ext = f".{ext}" if dot and stem and len(ext.encode("utf-8")) <= 16 else ""
        stem = text[: len(text) - len(ext)]
        while len((stem + ext).encode("utf-8")) > MAX_NAME_BYTES:
            stem = stem[:-1]
        text = stem + ext
    return text


def human_size(size: int) -> str:
    """1536 → "1.5 KB": sizes as people read them (powers of 1000, as file managers do)."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} bytes"


def conversation_files(store: Store, conversation_id: int) -> list[FileRow]:
    """Every file of one conversation, oldest first; NotFound for an unknown conversation."""
    conn = store.conn
    if conn.execute("SELECT 1 FROM conversation WHERE id = ?", (conversation_id,)).fetchone() \
            is None:
        raise NotFound(f"There is no conversation {conversation_id}.")
    rows = conn.execute(
        "SELECT a.id, a.message_id, m.conversation_id, m.kind, a.filename, a.content_type, "
        "a.size, m.created_at, a.sha256, a.note FROM attachment a "
        "JOIN message m ON m.id = a.message_id WHERE m.conversation_id = ? ORDER BY a.id",
        (conversation_id,),
    ).fetchall()
    return [_file_row(r) for r in rows]


def file_by_id(store: Store, attachment_id: int) -> tuple[FileRow, str | None]:
    """One attachment and its blob's digest (None: never fetched)."""
    row = store.conn.execute(
        "SELECT a.id, a.message_id, m.conversation_id, m.kind, a.filename, a.content_type, "
        "a.size, m.created_at, a.sha256, a.note FROM attachment a "
        "JOIN message m ON m.id = a.message_id WHERE a.id = ?",
        (attachment_id,),
    ).fetchone()
    if row is None:
        raise NotFound(f"There is no attachment {attachment_id}.")
    return _file_row(row), row[8]


def _file_row(r: Any) -> FileRow:
    return FileRow(
        id=r[0], message_id=r[1], conversation_id=r[2],
        direction="received" if r[3] == "inbound" else "sent",
        filename=safe_filename(r[4]), content_type=clean_line(r[5]) or "application/octet-stream",
        size=int(r[6] or 0), created_at=float(r[7]), available=r[8] is not None,
        note=clean_line(r[9]),
    )


def save_file(store: Store, attachment_id: int, attachments_dir: Path, folder: Path, *,
              reuse_identical: bool = False) -> Path:
    """Copy one attachment into `folder` under its safe name, or "name (2).ext" when that is
    taken (a file already there is never overwritten). The copy is checked against the
    stored digest, so what lands is byte for byte what was received. `reuse_identical`:
    a copy with the same bytes already there is the answer (opening a file twice makes one)."""
    row, digest = file_by_id(store, attachment_id)
    if digest is None:
        raise ActionError(f"{row.filename} was never downloaded"
                          + (f" ({row.note})." if row.note else "."))
    folder = ensure_folder(folder)
    if reuse_identical:
        same = _identical_copy(folder, row.filename, row.size, digest)
        if same is not None:
            return same
    try:
        src = open_blob(store, attachments_dir, digest)  # closed below, after the target
    except OSError as exc:
        raise ActionError(f"The stored copy of {row.filename} cannot be read: "
                          f"{exc.strerror or exc}.") from None
    with src:
        target, fd = _create_unique(folder, row.filename)
        try:
            _copy_checked(src, fd, digest)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
    return target


def ensure_folder(folder: Path) -> Path:
    """The agent's files folder, made (mode 0700: the files are customers') if missing."""
    folder = folder.expanduser()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ActionError(f"Cannot use the files folder {folder}: "
                          f"{exc.strerror or exc}.") from None
    if not folder.is_dir():
        raise ActionError(f"The files folder {folder} is not a folder.")
    return folder


def unique_name(name: str, attempt: int) -> str:
    """`report.pdf` → `report (2).pdf` for attempt 2; attempt 1 is the name itself."""
    if attempt == 1:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        return f"{name} ({attempt})"
    return f"{stem} ({attempt}).{ext}"


def _identical_copy(folder: Path, name: str, size: int, digest: str) -> Path | None:
    """The first of `name`, `name (2)`, … that holds exactly these bytes; None at the first gap."""
    for attempt in range(1, 100):
        candidate = folder / unique_name(name, attempt)
        try:
            st = candidate.lstat()
        except FileNotFoundError:
            return None
        except OSError:
            return None
        if stat.S_ISREG(st.st_mode) and st.st_size == size and _digest(candidate) == digest:
            return candidate
    return None


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(COPY_CHUNK):
            sha.update(chunk)
    return sha.hexdigest()


def _create_unique(folder: Path, name: str) -> tuple[Path, int]:
    for attempt in range(1, 10_000):
        target = folder / unique_name(name, attempt)
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            continue
        except OSError as exc:
            raise ActionError(f"Cannot write {target}: {exc.strerror or exc}.") from None
        return target, fd
    raise ActionError(f"The files folder {folder} already holds 9,999 copies of {name}.")


def _copy_checked(src: Any, fd: int, digest: str) -> None:
    sha = hashlib.sha256()
    with os.fdopen(fd, "wb") as out:
        while chunk := src.read(COPY_CHUNK):
            sha.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    if sha.hexdigest() != digest:
        raise ActionError("The stored copy of this file is damaged; nothing was saved.")
