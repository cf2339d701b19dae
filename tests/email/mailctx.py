"""A ChannelContext for channel-level tests: keeps a cursor and the committed messages.

It mirrors the contract of the hub's context (batch + cursor committed together, idempotent on
external_id) without a database, so the IMAP loop can be tested on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from pathlib import Path

from omnitui.channels.base import Inbound


class RecordingContext:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._cursor: str | None = None
        self.messages: dict[str, Inbound] = {}
        self.batches: list[list[Inbound]] = []
        self.states: list[tuple[str, str | None]] = []
        self.lines: list[str] = []
        self.changed = asyncio.Event()

    async def ingest(self, batch: Sequence[Inbound], cursor: str | None = None) -> list[int]:
        self.batches.append(list(batch))
        ids = []
        for item in batch:
            self.messages.setdefault(item.external_id, item)
            ids.append(list(self.messages).index(item.external_id) + 1)
        if cursor is not None:
            self._cursor = cursor
        self.changed.set()
        return ids

    def cursor(self) -> str | None:
        return self._cursor

    async def set_state(self, state: str, detail: str | None = None) -> None:
        self.states.append((state, detail))

    def log(self, message: str) -> None:
        self.lines.append(message)

    async def wait_for(self, count: int, timeout: float = 15.0) -> None:
        """Until at least `count` distinct messages are committed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.messages) < count:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"only {len(self.messages)} of {count} messages; states={self.states[-5:]} "
                    f"log={self.lines[-5:]}"
                )
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), remaining)
