"""`init --shared-group` re-run: give every file of the data dir back to the group.

Root gives each file to the data dir's owner and the group; the data dir's owner (the service
user) changes what it owns, and replaces by a copy of its own a file someone else left with the
wrong mode (an older console's hub.log, say) — the folder is the owner's, so that is allowed.
The database files are never copied (a live database must not be swapped under its users):
those need root.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import stat
from pathlib import Path

from omnitui.store.data_files import SHARED_DIR_MODE, SHARED_FILE_MODE

NEVER_COPIED = ("omnitui.db", "omnitui.db-wal", "omnitui.db-shm")
LOCK_NAME = "hub.lock"


def share_with_group(data_dir: Path, gid: int) -> int:
    """Set group `gid` and the shared modes on the data dir and all below; returns files fixed."""
    owner = data_dir.stat().st_uid
    fixed = 0
    for path in [data_dir, *sorted(data_dir.rglob("*"))]:
        st = path.lstat()
        if stat.S_ISLNK(st.st_mode):
            continue
        wanted = SHARED_DIR_MODE if stat.S_ISDIR(st.st_mode) else SHARED_FILE_MODE
        if stat.S_ISSOCK(st.st_mode):
            wanted = 0o660  # the hub binds it again; only its group and mode matter meanwhile
        right_owner = st.st_uid == owner or os.geteuid() != 0
        if st.st_gid == gid and stat.S_IMODE(st.st_mode) == wanted and right_owner:
            continue
        _fix(path, st, owner, gid, wanted)
        fixed += 1
    return fixed


def _fix(path: Path, st: os.stat_result, owner: int, gid: int, mode: int) -> None:
    if os.geteuid() == 0:
        os.chown(path, owner, gid)
        os.chmod(path, mode)
    elif st.st_uid == os.geteuid():
        os.chown(path, -1, gid)
        os.chmod(path, mode)
    elif path.name == LOCK_NAME:
        _remove_free_lock(path)
    elif stat.S_ISREG(st.st_mode) and path.name not in NEVER_COPIED:
        _replace_with_own_copy(path, gid, mode)
    else:
        raise PermissionError(errno.EPERM, "only root can repair this file", str(path))


def _remove_free_lock(path: Path) -> None:
    """A hub lock nobody holds carries nothing: remove it, the next hub makes its own."""
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PermissionError(errno.EBUSY, "a running hub holds it; stop that hub first",
                                  str(path)) from None
        path.unlink()
    finally:
        os.close(fd)


def _replace_with_own_copy(path: Path, gid: int, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.repair-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as dst, path.open("rb") as src:
            shutil.copyfileobj(src, dst)
            os.fchown(dst.fileno(), -1, gid)
            os.fchmod(dst.fileno(), mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
