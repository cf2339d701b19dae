"""The change feed: any process follows new events in near real time.

Asking SQLite for `PRAGMA data_version` (on PostgreSQL: counting the NOTIFYs every write sends,
store/pg_wake.py) costs microseconds and changes only when another connection committed, so a
follower polls it every few milliseconds and reads `event` rows after the last id it saw only
when something happened. Event ids grow in commit order because every write holds the store's
single write lock (store/db.py).

`follow_events` is the asyncio follower (the hub and its channels use it): it sleeps on an
inotify watch of the data directory (core.wake), or on PostgreSQL on the LISTEN socket, instead
of asking every few milliseconds, so a process that follows the feed costs nothing while the
shop is quiet.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omnitui.core.wake import RECHECK_DELAYS, AsyncDirWatch, DirWatch
from omnitui.store.database import SERVER_KEEPALIVE, Database

POLL_SECONDS = 0.005
SAFETY_SECONDS = 1.0  # with inotify: look at the feed anyway this often (a missed wake)
FALLBACK_SECONDS = 0.25  # without inotify: poll this often (an event waits up to this long)
ERROR_RETRY_SECONDS = 1.0  # after the database refused a read

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    at: float
    actor: str
    kind: str
    conversation_id: int | None
    customer_id: int | None
    message_id: int | None
    data: dict[str, Any]


class Feed:
    """Follows the event table of one database from its own connection."""

    def __init__(self, where: Path | Database, *, after: int | None = None,
                 batch: int = 2000) -> None:
        self.database = Database.at(where)
        self._conn = self._connect()
        self._wake: Any = None
        if self.database.is_postgres:  # a NOTIFY count stands for SQLite's data_version
            from omnitui.store.pg_wake import PgWake

            self._wake = PgWake(self.database)
        self._batch = batch
        if after is None:
            after = int(self._conn.execute("SELECT coalesce(max(id), 0) FROM event").fetchone()[0])
        self.last_id = after
        self._version: int | None = None

    def close(self) -> None:
        self._conn.close()
        if self._wake is not None:
            self._wake.close()

    def reconnect(self) -> None:
        """After the database refused a read (a PostgreSQL restart drops connections)."""
        with contextlib.suppress(Exception):
            self._conn.close()
        with contextlib.suppress(Exception):
            self._conn = self._connect()
        self._version = None

    def _connect(self) -> Any:
        if self.database.is_postgres:  # idle for long: a cut network is noticed in a minute
            return self.database.connect(purpose="omnitui feed", **SERVER_KEEPALIVE)
        return self.database.connect()

    def watch(self) -> Any:
        """What a follower thread sleeps on: `wait(timeout, also=fd)`, `active`, `close`."""
        if self._wake is not None:
            return self._wake
        path = self.database.path
        assert path is not None
        return DirWatch(path.parent, path.name)

    def async_watch(self) -> Any:
        """The same for an asyncio loop: `await wait(timeout)`, `active`, `close`."""
        if self._wake is not None:
            from omnitui.store.pg_wake import AsyncPgWake

            return AsyncPgWake(self._wake)
        path = self.database.path
        assert path is not None
        return AsyncDirWatch(path.parent, path.name)

    def changed(self) -> bool:
        if self._wake is not None:
            version = self._wake.version()
        else:
            version = int(self._conn.execute("PRAGMA data_version").fetchone()[0])
        if version != self._version:
            self._version = version
            return True
        return False

    def poll(self, *, force: bool = False) -> list[Event]:
        """Events committed since the last call (empty quickly when nothing was committed)."""
        if not (self.changed() or force):
            return []
        rows = self._conn.execute(
            "SELECT id, at, actor, kind, conversation_id, customer_id, message_id, data "
            "FROM event WHERE id > ? ORDER BY id LIMIT ?",
            (self.last_id, self._batch),
        ).fetchall()
        if rows:
            self.last_id = rows[-1][0]
            if len(rows) == self._batch:
                self._version = None  # more to read: look again next time
        return [
            Event(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7] or "{}"))
            for r in rows
        ]

    def wait(self, timeout: float, interval: float = POLL_SECONDS) -> list[Event]:
        """Block until events arrive or `timeout` passes (for scripts and tests)."""
        deadline = time.monotonic() + timeout
        while True:
            events = self.poll()
            if events or time.monotonic() >= deadline:
                return events
            time.sleep(interval)


async def follow_events(where: Path | Database, *,
                        after: int | None = None) -> AsyncIterator[list[Event]]:
    """Yield each non-empty batch of events committed to `db_path` (by any connection), forever.

    Between batches it sleeps on an inotify watch of the data dir, then looks again a few times
    (`RECHECK_DELAYS`: the commit becomes visible just after its WAL write). Without inotify it
    polls every `FALLBACK_SECONDS`; with it, it still looks every `SAFETY_SECONDS`. Iterate it
    inside `contextlib.aclosing(...)` so that leaving the loop (or being cancelled) closes the
    watch and the feed's connection at once, not whenever the generator is collected.
    """
    feed = await _open_feed(Database.at(where), after)
    try:
        watch = feed.async_watch()
        try:
            rechecks: list[float] = []
            while True:
                try:
                    # PostgreSQL: the read goes over the network, which may stall: off the loop
                    events = (await asyncio.to_thread(feed.poll) if feed.database.is_postgres
                              else feed.poll())
                except sqlite3.Error as exc:  # a disk or lock problem: the follower outlives it
                    log.warning("Reading the change feed of %s failed (%s); trying again in "
                                "%.0f s.", feed.database.describe(), exc, ERROR_RETRY_SECONDS)
                    await asyncio.sleep(ERROR_RETRY_SECONDS)
                    await asyncio.to_thread(feed.reconnect)
                    continue
                if events:
                    yield events
                    await asyncio.sleep(0)  # a backlog must not starve the loop
                    continue
                rechecks = await _idle(watch, rechecks)
        finally:
            watch.close()
    finally:
        feed.close()


class FeedFanout:
    """One follower of the feed, many listeners in the same process.

    Every follower costs a connection, an inotify wake and a query per commit; under a busy
    chat the hub's parts (outbox and service levels, the chat channel's rating requests and
    typing marks) would each pay that for the same events. The hub follows once and
    `publish`es each batch; each listener iterates `subscribe()` and gets, at each step,
    every event published since its last one (batches that waited are joined), in order.
    """

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[list[Event]]] = set()

    def publish(self, events: list[Event]) -> None:
        for queue in self._queues:
            queue.put_nowait(events)

    async def subscribe(self) -> AsyncIterator[list[Event]]:
        queue: asyncio.Queue[list[Event]] = asyncio.Queue()
        self._queues.add(queue)
        try:
            while True:
                events = await queue.get()
                while not queue.empty():  # a slow listener catches up in one step
                    events = events + queue.get_nowait()
                yield events
        finally:
            self._queues.discard(queue)


async def _open_feed(database: Database, after: int | None) -> Feed:
    """Open a `Feed` off the loop; if cancelled meanwhile, close it once it is open."""
    opening = asyncio.ensure_future(asyncio.to_thread(Feed, database, after=after))
    try:
        return await asyncio.shield(opening)
    except asyncio.CancelledError:
        opening.add_done_callback(_close_opened)
        raise


def _close_opened(opening: asyncio.Future[Feed]) -> None:
    if not opening.cancelled() and opening.exception() is None:
        opening.result().close()


async def _idle(watch: Any, rechecks: list[float]) -> list[float]:
    """Sleep until the next look; return the re-checks still due after it."""
    if rechecks:
        timeout, rechecks = rechecks[0], rechecks[1:]
    else:
        timeout = SAFETY_SECONDS if watch.active else FALLBACK_SECONDS
    if await watch.wait(timeout) and watch.active:
        return list(RECHECK_DELAYS[1:])  # a new wake restarts the re-checks
    return rechecks
