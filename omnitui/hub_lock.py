"""One hub per store: an exclusive flock on data_dir/hub.lock that dies with the process, or on
PostgreSQL (hub and consoles may sit on different hosts) a session advisory lock held by the
hub's own connection (store/pg_session_lock.py).

Callers pass the settings: `HubLock.of(settings)`, `running_hub(settings)`,
`hub_last_seen(settings)` pick the mechanism of the store in use. A bare path still means the
lock file (a SQLite store).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from omnitui.store.data_files import DataDirAccess
from omnitui.store.database import Database
from omnitui.store.db import StoreError

if TYPE_CHECKING:
    from omnitui.config import Settings

KEEP_SECONDS = 5.0  # how often a hub on PostgreSQL checks that it still holds its lock


class HubRunning(Exception):
    """Another process already runs the hub for this data dir."""


@dataclass(frozen=True, slots=True)
class HubInfo:
    pid: int
    started_at: float
    embedded: bool
    host: str = ""  # PostgreSQL: the host the hub runs on (it may be another than ours)

    def describe(self) -> str:
        """`pid 4242`, or `pid 4242 on shop-hub` when the hub's host is known."""
        return f"pid {self.pid}" + (f" on {self.host}" if self.host else "")


class HubLock:
    def __init__(self, path: Path, database: Database | None = None) -> None:
        self.path = path
        self.database = database if database is not None and database.is_postgres else None
        self._fd: int | None = None
        self._session: object | None = None

    @classmethod
    def of(cls, settings: Settings) -> HubLock:
        """The lock of the store these settings open."""
        return cls(settings.lock_path, settings.database)

    def acquire(self, *, embedded: bool = False) -> None:
        if self.database is not None:
            self._acquire_session(embedded)
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            DataDirAccess.of(self.path.parent).settle_fd(fd)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            info = read_info(self.path)
            who = f"process {info.pid}" if info else "another process"
            raise HubRunning(f"A hub is already running for this data dir ({who} holds "
                             f"{self.path}).") from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "started_at": time.time(),
                                 "embedded": embedded}).encode())
        os.fsync(fd)
        self._fd = fd

    def _acquire_session(self, embedded: bool) -> None:
        from omnitui.store.pg_session_lock import PgSessionLock, lock_holder

        assert self.database is not None
        session = PgSessionLock(self.database)
        if not session.acquire(pid=os.getpid(), started_at=time.time(), embedded=embedded):
            holder = lock_holder(self.database)
            who = ("another process" if holder is None or not holder.pid
                   else f"process {holder.pid} on {holder.host}")
            raise HubRunning(f"A hub is already running for the database "
                             f"{self.database.describe()} ({who} holds its hub lock).")
        self._session = session

    def still_held(self) -> bool:
        """False once a PostgreSQL lock session was lost (the server restarted); a lock file
        is held as long as this process lives."""
        if self.database is not None:
            return self._session is not None and bool(
                self._session.still_held())  # type: ignore[attr-defined]
        return self._fd is not None

    async def keep(self, stop: asyncio.Event, log: logging.Logger, *, embedded: bool = False,
                   every: float = KEEP_SECONDS) -> None:
        """While the hub runs: take a PostgreSQL lock back after its session was lost. If
        another hub took it meanwhile, this one stops (two hubs would send every reply twice);
        while the server is away, it tries again."""
        if self.database is None:
            return
        while not stop.is_set():
            await asyncio.sleep(every)
            if await asyncio.to_thread(self.still_held):
                continue
            try:
                await asyncio.to_thread(self.acquire, embedded=embedded)
            except HubRunning as exc:
                log.error("hub lock lost and taken by another hub, stopping: %s", exc)
                stop.set()
                return
            except StoreError as exc:
                log.warning("hub lock: %s Trying again in %.0f s.", exc, every)
                continue
            log.info("hub lock taken again after the database connection was lost")

    def release(self) -> None:
        if self._session is not None:
            self._session.release()  # type: ignore[attr-defined]
            self._session = None
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def read_info(path: Path) -> HubInfo | None:
    try:
        data = json.loads(path.read_text() or "{}")
        return HubInfo(int(data["pid"]), float(data["started_at"]), bool(data.get("embedded")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def running_hub(where: Settings | Path) -> HubInfo | None:
    """The hub holding the lock, or None when no hub runs (the lock is free).

    On PostgreSQL a server that cannot be reached counts as no hub: nothing can run on it."""
    database = None if isinstance(where, Path) else where.database
    if database is not None and database.is_postgres:
        from omnitui.store.pg_session_lock import lock_holder

        try:
            holder = lock_holder(database)
        except StoreError:
            return None
        if holder is None:
            return None
        return HubInfo(holder.pid, holder.started_at, holder.embedded, holder.host)
    path = where if isinstance(where, Path) else where.lock_path
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return read_info(path) or HubInfo(0, 0.0, False)
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def hub_last_seen(settings: Settings) -> float | None:
    """When a hub last showed a sign of life: its last log line or its lock, else None.

    A hub logs as it stops (and as long as it works), so for a hub that is gone this is when
    it stopped, or near enough when it crashed. On PostgreSQL the hub's log is on its own host:
    there it is the last change of a channel's state (a hub marks each channel stopped as it
    stops), read from the store."""
    if settings.database.is_postgres:
        return _last_channel_change(settings.database)
    times = []
    for path in (settings.lock_path, settings.log_path):
        with contextlib.suppress(OSError):
            times.append(path.stat().st_mtime)
    return max(times) if times else None


def _last_channel_change(database: Database) -> float | None:
    try:
        conn = database.connect(purpose="omnitui hub check")
    except sqlite3.Error:
        return None
    try:
        row = conn.execute("SELECT max(updated_at) FROM channel_state").fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return None if row is None or row[0] is None else float(row[0])
