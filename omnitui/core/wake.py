"""Sleep until the database is written, instead of polling it.

Every commit writes the WAL file, so an inotify watch on the data directory (IN_MODIFY /
IN_CREATE of `omnitui.db*`) wakes a feed follower at once and costs nothing while the shop is
quiet. Both the console's feed thread (`DirWatch.wait`, blocking) and the hub's event loop
(`AsyncDirWatch`, an fd reader) use it. Where inotify is missing (not Linux, or no libc), the
watch is inactive and callers fall back to polling at their own slow interval.

The wake comes when the commit's WAL frames are written, a moment before the WAL index makes
the commit visible to readers, so a follower looks again shortly after each wake
(`RECHECK_DELAYS`). Nothing here imports Textual or SQLite: it only watches file names.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import struct
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ctypes

IN_MODIFY = 0x00000002
IN_CREATE = 0x00000100
IN_MOVED_TO = 0x00000080
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000
_HEADER = struct.Struct("iIII")
# After a wake, poll now and again at these offsets (s): the commit may not be visible yet.
RECHECK_DELAYS = (0.0, 0.005, 0.03, 0.1)


def _libc() -> ctypes.CDLL:
    """The C library by its usual name first: `ctypes.util.find_library` runs `ldconfig -p` in
    a subprocess (a fork of the console while it draws its first screen). ctypes itself is
    imported here, when a watch starts, not with the module (the console's start-up)."""
    import ctypes
    import ctypes.util

    try:
        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


class DirWatch:
    """`wait(timeout)` returns True when a file named `prefix*` in `directory` changed."""

    def __init__(self, directory: Path, prefix: str) -> None:
        self.prefix = prefix.encode()
        self.fd: int | None = None
        try:
            libc = _libc()
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
        without inotify, so the caller polls). `also`: another fd that ends the wait."""
        if self.fd is None:
            return True
        fds = [self.fd] if also is None else [self.fd, also]
        ready, _, _ = select.select(fds, [], [], timeout)
        if self.fd not in ready:
            return False
        return self.drain()

    def drain(self) -> bool:
        """Read every pending notification; True if one names the database."""
        if self.fd is None:
            return False
        try:
            data = os.read(self.fd, 65536)
        except (BlockingIOError, InterruptedError):
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


class AsyncDirWatch:
    """A `DirWatch` for an asyncio loop: the inotify fd is a loop reader, so waiting costs no
    thread and no timer. `await wait(timeout)` is True when the database may have changed."""

    def __init__(self, directory: Path, prefix: str) -> None:
        self._watch = DirWatch(directory, prefix)
        self._changed = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        if self._watch.fd is not None:
            self._loop = asyncio.get_running_loop()
            self._loop.add_reader(self._watch.fd, self._on_readable)

    @property
    def active(self) -> bool:
        return self._watch.active

    def _on_readable(self) -> None:
        if self._watch.drain():
            self._changed.set()

    async def wait(self, timeout: float) -> bool:
        """Up to `timeout` seconds; without inotify just sleeps and answers True (poll)."""
        if not self.active:
            await asyncio.sleep(timeout)
            return True
        if not self._changed.is_set():
            # (not `wait_for`: on Python 3.11 it swallows a cancel that lands as the event is
            # set, and a hub told to stop then keeps its feed running until the stop grace ends)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._changed.wait()
        woke = self._changed.is_set()
        self._changed.clear()
        return woke

    def close(self) -> None:
        if self._loop is not None and self._watch.fd is not None:
            with contextlib.suppress(Exception):  # the loop may already be closed
                self._loop.remove_reader(self._watch.fd)
        self._watch.close()
