"""A WebSocket visitor as a chat `Session`: the channel's own session logic, other framing.

Why a queue and one sender task: the channel writes to sessions from callbacks that must never
wait (a reply fans out to every session of a visitor). Frames are queued in order and one task
sends them; a browser that stops reading lets the queue grow past `max_buffer` bytes and is
dropped, exactly as a socket client that stops reading.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

from aiohttp import web

from omnitui.channels.chat.session import MAX_BUFFER, Session

CLOSE_GOING_AWAY = 1001
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL = 1011
CLOSE_AUTH = 4401
CLOSE_ORIGIN = 4403
CLOSE_TOO_MANY = 4429


class WebSession(Session):
    """`visitor_id` is fixed by the token (from the URL, or set by the first `hello`): a
    `hello` can never name another visitor."""

    def __init__(self, ws: web.WebSocketResponse, visitor_id: str | None, address: str,
                 max_buffer: int = MAX_BUFFER) -> None:
        super().__init__(None, tcp=False, max_buffer=max_buffer)  # type: ignore[arg-type]
        self.ws = ws
        self.fixed_visitor = visitor_id
        self.address = address
        self._queue: deque[str] = deque()
        self._queued = 0
        self._wake = asyncio.Event()
        self._closing: asyncio.Future[bool] | None = None
        self._sender = asyncio.create_task(self._send_loop(), name="chat-web-send")

    def write(self, line: bytes) -> bool:
        if self.closed or self.ws.closed:
            self.closed = True
            return False
        frame = line[:-1].decode("utf-8") if line.endswith(b"\n") else line.decode("utf-8")
        self._queue.append(frame)
        self._queued += len(frame)
        self._wake.set()
        if self._queued > self.max_buffer:
            self.dropped_slow = True
            self.abort()
            return False
        return True

    async def _send_loop(self) -> None:
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                while self._queue:
                    frame = self._queue.popleft()
                    self._queued -= len(frame)
                    await self.ws.send_str(frame)
        except (ConnectionError, RuntimeError, asyncio.CancelledError):
            self.closed = True

    async def flush(self, timeout: float = 1.0) -> None:
        """Wait (briefly) until every queued frame went out, e.g. acks before a close."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._queue and not self._sender.done() and loop.time() < deadline:
            await asyncio.sleep(0.01)

    def abort(self) -> None:
        self.closed = True
        self._queue.clear()
        self._sender.cancel()
        if self._closing is None:
            self._closing = asyncio.ensure_future(
                self.ws.close(code=CLOSE_POLICY, message=b"not reading"))

    async def close(self, code: int = CLOSE_GOING_AWAY) -> None:
        if not self.closed:
            await self.flush()
        self.closed = True
        self._sender.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(code=code), 1.0)
