"""A ChannelContext for channel-level tests: keeps a cursor and the committed messages.

It mirrors the contract of the hub's context (batch + cursor committed together, idempotent on
external_id) without a database, so the IMAP loop can be tested on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from pathlib import Path

import pytest
from mailservers import Dovecot

from omnitui.channels.base import Inbound
from omnitui.config import EmailSettings


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


def make_settings(
    server: Dovecot | None,
    user: str,
    monkeypatch: pytest.MonkeyPatch,
    smtp_port: int = 25,
    **overrides: object,
) -> EmailSettings:
    env = f"OMNITUI_TEST_PW_{user.upper()}"
    monkeypatch.setenv(env, server.users[user] if server else "pw")
    values: dict[str, object] = {
        "kind": "email",
        "address": "support@shop.test",
        "imap_host": "127.0.0.1",
        "imap_port": server.port if server else 9,
        "imap_security": "none",
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "smtp_security": "none",
        "username": user,
        "password_env": env,
        "timeout": 5.0,
        "poll_interval": 1.0,
        "batch_size": 50,
    }
    values.update(overrides)
    return EmailSettings(**values)  # type: ignore[arg-type]
