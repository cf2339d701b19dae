"""Small helpers shared by the chat tests: raw lines on a socket, store checks, queued replies."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from pathlib import Path
from typing import Any

from omnitui.core.actions import reply, resolve
from omnitui.core.agents import AgentRow, add_agent, get_agent
from omnitui.core.errors import ActionError
from omnitui.store.database import Database
from omnitui.store.db import Store


class Raw:
    """A client that speaks bytes, for bad input; reads answers one JSON line at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, path: Path) -> Raw:
        reader, writer = await asyncio.open_unix_connection(str(path), limit=1 << 20)
        return cls(reader, writer)

    async def send(self, data: bytes | dict[str, Any]) -> None:
        if isinstance(data, dict):
            data = json.dumps(data).encode() + b"\n"
        self.writer.write(data)
        await self.writer.drain()

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        line = await asyncio.wait_for(self.reader.readline(), timeout)
        assert line, "connection closed"
        return json.loads(line)

    async def ask(self, data: bytes | dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
        await self.send(data)
        return await self.recv(timeout)

    async def nothing_for(self, seconds: float) -> None:
        """Assert the hub says nothing (e.g. after `typing` or `delivered`)."""
        try:
            line = await asyncio.wait_for(self.reader.readline(), seconds)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected line {line!r}")

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(self.writer.wait_closed(), 1.0)


def inbound_count(store: Store, channel: str = "chat", external_id: str | None = None) -> int:
    if external_id is None:
        return int(store.conn.execute(
            "SELECT count(*) FROM message WHERE channel = ? AND kind = 'inbound'",
            (channel,)).fetchone()[0])
    return int(store.conn.execute(
        "SELECT count(*) FROM message WHERE channel = ? AND external_id = ?",
        (channel, external_id)).fetchone()[0])


def conversation_of(store: Store, visitor: str) -> int:
    row = store.conn.execute(
        "SELECT m.conversation_id FROM message m JOIN identity i ON i.id = m.identity_id "
        "WHERE i.kind = 'chat' AND i.address = ? ORDER BY m.id DESC LIMIT 1",
        (visitor,)).fetchone()
    assert row is not None, f"no conversation for {visitor}"
    return int(row[0])


def agent(store: Store, username: str = "ann") -> AgentRow:
    try:
        return get_agent(store, username)
    except ActionError:
        return add_agent(store, username, username.title())


def queue_reply(database: Database, visitor: str, text: str) -> int:
    """What a console does: `core.actions.reply` on its own connection (run in a thread)."""
    store = Store(database)
    try:
        who = agent(store)
        return reply(store, conversation_of(store, visitor), text, who).message_id
    finally:
        store.close()


def resolve_conversation(database: Database, visitor: str) -> int:
    store = Store(database)
    try:
        conv = conversation_of(store, visitor)
        resolve(store, conv, agent(store))
        return conv
    finally:
        store.close()


def delivery_state(database: Database, message_id: int) -> str | None:
    store = Store(database)
    try:
        row = store.conn.execute("SELECT delivery_state FROM message WHERE id = ?",
                                 (message_id,)).fetchone()
        return None if row is None else str(row[0])
    finally:
        store.close()


async def wait_until(predicate: Any, timeout: float = 5.0, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await asyncio.to_thread(predicate):
            return
        await asyncio.sleep(interval)
    raise AssertionError("condition not met in time")
