"""A small client of the chat socket protocol: `omnitui chat`, tests, benchmarks, and a readable
reference for a shop's web backend.

What a good client does, and this one shows: wait for the `ack` before forgetting a message
(resend the same `id` after a reconnect — the hub stores it once), de-duplicate replies by `id`
(the hub may push a reply again after a crash), and answer each reply with `delivered`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
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


def _stdin_lines(lines: Iterable[str], loop: asyncio.AbstractEventLoop,
                 queue: asyncio.Queue[str | None]) -> None:
    """In a daemon thread, so a blocked read of stdin never holds the process at exit."""

    def feed() -> None:
        for line in lines:
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=feed, name="chat-stdin", daemon=True).start()


async def run_chat_client(socket_path: Path | str | None, visitor: str, name: str | None,
                          email: str | None, send_text: str | None = None,
                          out: Callable[[str], Any] = print,
                          lines: Iterable[str] | None = None, *, tcp: str | None = None,
                          token: str | None = None) -> int:
    """`omnitui chat`: print history and replies as they arrive; send each line typed. With
    `send_text`, send once, wait for the ack and return. Exit code 0, or 1 on failure."""
    try:
        client = await ChatClient.connect(socket_path, tcp=tcp)
    except (OSError, TimeoutError) as exc:
        out(f"Cannot connect to {tcp or socket_path}: {getattr(exc, 'strerror', None) or exc}. "
            "Is the hub running (omnitui serve)?")
        return 1
    try:
        try:
            welcome = await client.hello(visitor, name, email, token)
        except (ChatError, TimeoutError) as exc:
            out(f"The hub refused the hello: {exc}")
            return 1
        for item in welcome.get("history", []):
            who = "you" if item.get("from") == "customer" else "support"
            out(f"[{item.get('at')}] {who}: {item.get('text')}")
        if send_text is not None:
            try:
                await client.send(send_text)
            except (ChatError, TimeoutError) as exc:
                out(f"Not sent: {exc or 'no ack from the hub in time'}")
                return 1
            out("sent")
            return 0
        return await _interactive(client, out, sys.stdin if lines is None else lines)
    finally:
        await client.close()


async def _interactive(client: ChatClient, out: Callable[[str], Any],
                       lines: Iterable[str]) -> int:
    typed: asyncio.Queue[str | None] = asyncio.Queue()
    _stdin_lines(lines, asyncio.get_running_loop(), typed)
    seen: set[str] = set()

    async def show() -> int:
        async for obj in client.messages():
            kind = obj.get("type")
            if kind == "message":
                hub_id = str(obj.get("id"))
                if hub_id in seen:
                    continue
                seen.add(hub_id)
                out(f"[{obj.get('at')}] {obj.get('agent')}: {obj.get('text')}")
                await client.delivered(hub_id)
            elif kind == "offline":
                out(f"(offline) {obj.get('text')}")
            elif kind == "rate_request":
                out("(the conversation was resolved; how did we do? type /rate 1-5)")
            elif kind == "error":
                out(f"error {obj.get('code')}: {obj.get('message')}")
        out("The hub closed the connection.")
        return 1

    async def typing() -> int:
        while (line := await typed.get()) is not None:
            text = line.rstrip("\n")
            if not text.strip():
                continue
            try:
                if text.startswith("/rate "):
                    score, _, comment = text[6:].partition(" ")
                    await client.rate(int(score), comment or None)
                else:
                    await client.send(text)
            except (ChatError, TimeoutError, ValueError) as exc:
                out(f"Not sent: {exc or 'no ack from the hub in time'}")
        return 0

    tasks = [asyncio.create_task(show()), asyncio.create_task(typing())]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
    return next(iter(done)).result()
