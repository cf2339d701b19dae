"""Wake the console's feed thread when the database changes, instead of polling it.

Every commit writes the WAL file, so an inotify watch on the data directory (IN_MODIFY /
IN_CREATE of `omnitui.db*`) wakes the follower at once and costs nothing while the shop is
quiet. Where inotify is missing (not Linux, or no libc), `wait` simply sleeps the poll interval:
the feed still works, it just polls.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import select
import struct
from pathlib import Path

IN_MODIFY = 0x00000002
IN_CREATE = 0x00000100
IN_MOVED_TO = 0x00000080
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000
_HEADER = struct.Struct("iIII")


class DirWatch:
    """`wait(timeout)` returns True when a file named `prefix*` in `directory` changed."""

    def __init__(self, directory: Path, prefix: str) -> None:
        self.prefix = prefix.encode()
        self.fd: int | None = None
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            fd = libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
            if fd < 0:
                return
            mask = IN_MODIFY | IN_CREATE | IN_MOVED_TO
            if libc.inotify_add_watch(fd, os.fsencode(directory), mask) < 0:
                os.close(fd)
                return
            self.fd = fd
        except (OSError, AttributeError):
            self.fd = None

    @property
    def active(self) -> bool:
        return self.fd is not None

    def wait(self, timeout: float, also: int | None = None) -> bool:
        """Block up to `timeout`; True if the database may have changed (always, on timeout
        without inotify, so the caller polls)."""
        if self.fd is None:
            return True
        fds = [self.fd] if also is None else [self.fd, also]
        ready, _, _ = select.select(fds, [], [], timeout)
        if self.fd not in ready:
            return False
        try:
            data = os.read(self.fd, 65536)
        except BlockingIOError:
            return False
        pos = 0
        hit = False
        while pos + _HEADER.size <= len(data):
            _, _, _, length = _HEADER.unpack_from(data, pos)
            name = data[pos + _HEADER.size : pos + _HEADER.size + length].rstrip(b"\0")
            hit = hit or name.startswith(self.prefix)
            pos += _HEADER.size + length
        return hit

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
