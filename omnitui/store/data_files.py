"""Files and folders in the data dir get their group and mode set explicitly, never by umask.

In a group-shared data dir (setgid and group-writable: what `init --shared-group` leaves) the
service hub and every agent's console use the same files, whoever created them first: folders
are 02770 and files 0660, in the data dir's group. Any other data dir is one person's: folders
0700, files 0600. SQLite gives -wal and -shm the database file's own mode and group, so the
database file is created here (empty: SQLite takes an empty file as a new database) before
SQLite first opens it.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

SHARED_DIR_MODE = 0o2770
SHARED_FILE_MODE = 0o660
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def is_group_shared(data_dir: Path) -> bool:
    """The mark `init --shared-group` leaves: a setgid, group-writable data dir."""
    try:
        mode = data_dir.stat().st_mode
    except OSError:
        return False
    return bool(mode & stat.S_ISGID) and bool(mode & stat.S_IWGRP)


@dataclass(frozen=True, slots=True)
class DataDirAccess:
    """Who may use what omnitui creates in one data dir: its group (if shared) and modes."""

    data_dir: Path
    gid: int | None
    dir_mode: int
    file_mode: int

    @classmethod
    def of(cls, data_dir: Path) -> DataDirAccess:
        if is_group_shared(data_dir):
            return cls(data_dir, data_dir.stat().st_gid, SHARED_DIR_MODE, SHARED_FILE_MODE)
        return cls(data_dir, None, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE)

    def make_dirs(self, path: Path) -> None:
        """Create `path` and its missing parents (the data dir included) with the dir mode."""
        missing: list[Path] = []
        current = path
        while not current.exists():
            missing.append(current)
            if current == self.data_dir or current.parent == current:
                break
            current = current.parent
        for directory in reversed(missing):
            try:
                directory.mkdir()
            except FileExistsError:
                continue  # another process made it first; it set the mode
            self.settle(directory)

    def create_file(self, path: Path) -> None:
        """Create `path` empty with the file mode unless it exists (contents never touched)."""
        self.make_dirs(path.parent)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, self.file_mode)
        except FileExistsError:
            return
        try:
            self.settle_fd(fd)
        finally:
            os.close(fd)

    def settle(self, path: Path) -> None:
        """Give a file or folder this data dir's group and mode, if it is ours to change."""
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        try:
            self.settle_fd(fd)
        finally:
            os.close(fd)

    def settle_fd(self, fd: int) -> None:
        st = os.fstat(fd)
        if st.st_uid != os.geteuid() and os.geteuid() != 0:
            return  # not ours: `init --shared-group` as root or its owner repairs it
        if self.gid is not None and st.st_gid != self.gid:
            os.fchown(fd, -1, self.gid)
        wanted = self.dir_mode if stat.S_ISDIR(st.st_mode) else self.file_mode
        if stat.S_IMODE(st.st_mode) != wanted:
            os.fchmod(fd, wanted)

