"""The change feed: any process follows new events in near real time.

Asking SQLite for `PRAGMA data_version` costs microseconds and changes only when another
connection committed, so a follower polls it every few milliseconds and reads `event` rows after
the last id it saw only when something happened. Event ids grow in commit order because every
write holds SQLite's single write lock.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omnitui.store.db import connect

POLL_SECONDS = 0.005


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

    def __init__(self, db_path: Path, *, after: int | None = None, batch: int = 2000) -> None:
        self._conn = connect(Path(db_path))
        self._batch = batch
        if after is None:
            after = int(self._conn.execute("SELECT coalesce(max(id), 0) FROM event").fetchone()[0])
        self.last_id = after
        self._version: int | None = None

    def close(self) -> None:
        self._conn.close()

    def changed(self) -> bool:
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

    async def follow(self, interval: float = POLL_SECONDS) -> AsyncIterator[list[Event]]:
        """Yield each non-empty batch of new events, forever."""
        while True:
            events = self.poll()
            if events:
                yield events
            else:
                await asyncio.sleep(interval)
