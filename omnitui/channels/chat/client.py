"""A small client of the chat socket protocol: `omnitui chat` (terminal.py), tests, benchmarks,
and a readable reference for a shop's web backend.

What a good client does, and this one shows: wait for the `ack` before forgetting a message
(resend the same `id` after a reconnect — the hub stores it once), de-duplicate replies by `id`
(the hub may push a reply again after a crash), and answer each reply with `delivered`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from omnitui.channels.chat.protocol import MAX_LINE

DEFAULT_TIMEOUT = 10.0


class ChatError(Exception):
    """The hub answered with an `error`, or the connection ended; `code` as in the protocol."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class ChatClient:
    """One connection. Sends are serialised so an `error` can be matched to its message."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.incoming: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.welcome: dict[str, Any] | None = None
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}  # key: "ack:<id>", "pong"
        self._send_lock = asyncio.Lock()
        self.closed = False  # the hub's side ended: requests fail at once with code "closed"
        self._reader_task = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, socket_path: Path | str | None = None, *, tcp: str | None = None,
                      timeout: float = DEFAULT_TIMEOUT) -> ChatClient:
        """Unix socket by path, or `tcp="127.0.0.1:PORT"`."""
        limit = MAX_LINE + 2
        if tcp is not None:
            host, _, port = tcp.rpartition(":")
            opening = asyncio.open_connection(host.strip("[]"), int(port), limit=limit)
        else:
            opening = asyncio.open_unix_connection(str(socket_path), limit=limit)
        reader, writer = await asyncio.wait_for(opening, timeout)
        return cls(reader, writer)

    # --- requests -------------------------------------------------------------------------

    async def hello(self, visitor: str, name: str | None = None, email: str | None = None,
                    token: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        obj: dict[str, Any] = {"type": "hello", "visitor": visitor}
        for key, value in (("name", name), ("email", email), ("token", token)):
            if value is not None:
                obj[key] = value
        self.welcome = await self._request(obj, "welcome", timeout)
        return self.welcome

    async def send(self, text: str, msg_id: str | None = None,
                   timeout: float = DEFAULT_TIMEOUT) -> str:
        """Send one message and return its id once the hub acked it (it is committed)."""
        msg_id = msg_id or uuid.uuid4().hex
        await self._request({"type": "message", "id": msg_id, "text": text}, f"ack:{msg_id}",
                            timeout)
        return msg_id

    async def rate(self, score: int, comment: str | None = None,
                   timeout: float = DEFAULT_TIMEOUT) -> None:
        obj: dict[str, Any] = {"type": "rating", "score": score}
        if comment is not None:
            obj["comment"] = comment
        await self._request(obj, "ack:", timeout)

    async def ping(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        await self._request({"type": "ping"}, "pong", timeout)

    async def delivered(self, hub_id: str) -> None:
        await self.write({"type": "delivered", "id": hub_id})

    async def typing(self) -> None:
        await self.write({"type": "typing"})

    async def write(self, obj: dict[str, Any] | bytes) -> None:
        """Send one object (or raw bytes, for tests of bad input)."""
        data = obj if isinstance(obj, bytes) else (
            json.dumps(obj, ensure_ascii=False).encode("utf-8") + b"\n")
        self.writer.write(data)
        await self.writer.drain()

    async def _request(self, obj: dict[str, Any], key: str, timeout: float) -> dict[str, Any]:
        async with self._send_lock:
            if self.closed:
                raise ChatError("closed", "The hub closed the connection.")
            future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
            self._waiting[key] = future
            try:
                await self.write(obj)
                return await asyncio.wait_for(future, timeout)
            finally:
                self._waiting.pop(key, None)

    # --- what the hub says -----------------------------------------------------------------

    async def messages(self) -> AsyncIterator[dict[str, Any]]:
        """Replies, `offline`, `rate_request` and unsolicited errors, as they arrive; ends when
        the connection does."""
        while True:
            item = await self.incoming.get()
            if item is None:
                self.incoming.put_nowait(None)
                return
            yield item

    async def _read(self) -> None:
        try:
            while True:
                line = await self.reader.readline()
                if not line:
                    break
                try:
                    obj = json.loads(line)
                except ValueError:
                    continue
                if isinstance(obj, dict):
                    self._dispatch(obj)
        except (ConnectionError, OSError, ValueError):
            pass
        finally:
            self.closed = True
            for future in self._waiting.values():
                if not future.done():
                    future.set_exception(ChatError("closed", "The hub closed the connection."))
            self.incoming.put_nowait(None)

    def _dispatch(self, obj: dict[str, Any]) -> None:
        kind = obj.get("type")
        key = {"welcome": "welcome", "pong": "pong"}.get(str(kind))
        if kind == "ack":
            key = f"ack:{obj['id']}" if "id" in obj else "ack:"
        if kind == "error":
            pending = [f for k, f in self._waiting.items() if k != "pong" and not f.done()]
            if pending:  # sends are serialised: the error is about the one in flight
                pending[0].set_exception(ChatError(str(obj.get("code")),
                                                   str(obj.get("message"))))
                return
        if key is not None:
            future = self._waiting.get(key)
            if future is not None and not future.done():
                future.set_result(obj)
            return
        self.incoming.put_nowait(obj)

    async def close(self) -> None:
        self._reader_task.cancel()
        with contextlib.suppress(BaseException):
            await self._reader_task
        self.writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.writer.wait_closed(), 1.0)
