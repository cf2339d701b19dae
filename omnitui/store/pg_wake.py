"""The change feed's wake-up on PostgreSQL: LISTEN on the channel every write notifies.

Every write transaction ends with `NOTIFY omnitui_feed` (store/postgres.py), delivered to
listeners when it commits, on any host. A `PgWake` holds one listening connection and counts
the notifications it has read: that count plays the part of SQLite's `PRAGMA data_version`
(it changes only when someone committed), and its socket is what a follower sleeps on, in place
of the inotify watch a SQLite store uses. If the server goes away the wake reconnects on the
next look and reports a change, so the follower reads the feed again and misses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import threading
from typing import Any

from omnitui.store.database import SERVER_KEEPALIVE, Database
from omnitui.store.pg_transactions import FEED_CHANNEL


class PgWake:
    """`wait(timeout)` is True when someone committed; `version()` counts the commits seen."""

    active = True

    def __init__(self, database: Database) -> None:
        self.database = database
        self.seen = 0
        self._conn: Any = None
        # An asyncio follower drains on its loop (a readable socket) and in a thread (its
        # feed's poll, kept off the loop): one at a time on the one connection.
        self._draining = threading.Lock()
        self._connect()

    def _connect(self) -> None:
        try:
            conn = self.database.connect(purpose="omnitui feed", **SERVER_KEEPALIVE)
            conn.raw.execute(f"LISTEN {FEED_CHANNEL}")
        except Exception:
            self._conn = None
            return
        self._conn = conn

    @property
    def fd(self) -> int | None:
        return None if self._conn is None else int(self._conn.raw.pgconn.socket)

    def drain(self, *, reconnect: bool = True) -> bool:
        """Read every notification that has arrived; True if there was one (or the listening
        connection was lost and remade: the caller must look, something may have been missed).
        Without `reconnect` a lost connection is only reported (connecting may take seconds,
        which an event loop must not spend; `wait` remakes it)."""
        with self._draining:
            return self._drain(reconnect)

    def _drain(self, reconnect: bool) -> bool:
        if self._conn is None:
            if reconnect:
                self._connect()
            self.seen += 1
            return True
        pgconn = self._conn.raw.pgconn
        try:
            pgconn.consume_input()
            got = 0
            while pgconn.notifies() is not None:
                got += 1
        except Exception:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None
            self.seen += 1
            return True
        self.seen += got
        return got > 0

    def version(self) -> int:
        self.drain(reconnect=False)
        return self.seen

    def wait(self, timeout: float, also: int | None = None) -> bool:
        if self.drain():
            return True
        fd = self.fd
        if fd is None:  # the server is away: look again after the timeout
            select.select([also] if also is not None else [], [], [], timeout)
            return True
        fds = [fd] if also is None else [fd, also]
        ready, _, _ = select.select(fds, [], [], timeout)
        if fd not in ready:
            return False
        return self.drain()

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None


class AsyncPgWake:
    """A `PgWake` for an asyncio loop: its socket is a loop reader, no thread, no timer."""

    active = True

    def __init__(self, wake: PgWake) -> None:
        self._wake = wake
        self._changed = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._fd: int | None = None
        self._watch_fd()

    def _watch_fd(self) -> None:
        fd = self._wake.fd
        if fd != self._fd:
            if self._fd is not None:
                with contextlib.suppress(Exception):
                    self._loop.remove_reader(self._fd)
            self._fd = fd
            if fd is not None:
                self._loop.add_reader(fd, self._on_readable)

    def _on_readable(self) -> None:
        if self._wake.drain(reconnect=False):
            self._changed.set()
        if self._wake.fd != self._fd:
            self._loop.call_soon(self._watch_fd)

    async def wait(self, timeout: float) -> bool:
        if self._fd is None:  # the server is away: try again after the timeout
            await asyncio.sleep(timeout)
            await asyncio.to_thread(self._wake.drain)  # connecting may take seconds
            self._watch_fd()
            return True
        if not self._changed.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._changed.wait()
        woke = self._changed.is_set()
        self._changed.clear()
        return woke

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(Exception):
                self._loop.remove_reader(self._fd)
            self._fd = None
