"""One client connection: resynchronising line reader and a bounded, non-blocking writer.

Why hand-rolled instead of `StreamReader.readline`: after an over-long line `readline` leaves the
rest of that line in the stream, so its tail would be parsed as the next request. Here an
over-long line yields one TOO_LONG marker and everything up to the next newline is dropped, with
never more than one line limit of bytes held.

Why writes never await `drain`: replies fan out to every session of a visitor from one task; a
client that stops reading must not stall anybody else. Instead each write checks the
transport's buffer and a session past `max_buffer` bytes is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from omnitui.channels.chat.protocol import MAX_LINE

READ_CHUNK = 64 * 1024
MAX_BUFFER = 1024 * 1024  # bytes queued towards one client before it counts as not reading
MAX_PENDING = 200  # replies held for a session between `hello` and its `welcome`


class TooLong:
    """Marker yielded by `read_lines` in place of a line longer than MAX_LINE."""


TOO_LONG_LINE = TooLong()


async def read_lines(reader: asyncio.StreamReader,
                     limit: int = MAX_LINE) -> AsyncIterator[bytes | TooLong]:
    """Lines without their newline; TOO_LONG_LINE once per over-long line; stops at EOF."""
    buf = bytearray()
    discarding = False
    while True:
        chunk = await reader.read(READ_CHUNK)
        if not chunk:
            return  # a partial last line without newline is not a request
        if discarding:
            newline = chunk.find(b"\n")
            if newline < 0:
                continue
            chunk = chunk[newline + 1:]
            discarding = False
        buf += chunk
        start = 0
        while True:
            newline = buf.find(b"\n", start)
            if newline < 0:
                break
            line = bytes(buf[start:newline])
            start = newline + 1
            yield TOO_LONG_LINE if len(line) > limit else line
        del buf[:start]
        if len(buf) > limit:
            yield TOO_LONG_LINE
            buf.clear()
            discarding = True


class Session:
    """The hub's end of one connection; `visitor` is set by `hello`."""

    def __init__(self, writer: asyncio.StreamWriter, *, tcp: bool,
                 max_buffer: int = MAX_BUFFER) -> None:
        self.writer = writer
        self.tcp = tcp
        self.max_buffer = max_buffer
        self.visitor: str | None = None
        self.fixed_visitor: str | None = None  # a web session's visitor, fixed by its token
        self.name: str | None = None  # from hello; stored with each message as display name
        self.email: str | None = None
        self.email_known = False  # the customer has an email identity (set by hello)
        self.closed = False
        self.dropped_slow = False
        self._ready = False
        self._pending: list[bytes] = []

    def write(self, line: bytes) -> bool:
        """Queue one line; False (and the session dropped) if the client is not reading."""
        if self.closed:
            return False
        transport = self.writer.transport
        if transport.is_closing():
            self.closed = True
            return False
        self.writer.write(line)
        if transport.get_write_buffer_size() > self.max_buffer:
            self.dropped_slow = True
            self.abort()
            return False
        return True

    def push(self, line: bytes) -> None:
        """A reply: written now, or after `welcome` if the session is still saying hello."""
        if self._ready:
            self.write(line)
        elif len(self._pending) < MAX_PENDING:
            self._pending.append(line)  # beyond that, `undelivered()` pushes it after hello

    def begin_hello(self) -> None:
        """From here until `ready()`, pushed replies wait so they follow the `welcome`."""
        self._ready = False
        self._pending = []

    def ready(self) -> None:
        self._ready = True
        pending, self._pending = self._pending, []
        for line in pending:
            self.write(line)

    def abort(self) -> None:
        """Drop the connection now, discarding anything queued (a non-reading client)."""
        self.closed = True
        with contextlib.suppress(Exception):
            self.writer.transport.abort()

    async def close(self) -> None:
        self.closed = True
        with contextlib.suppress(Exception):
            self.writer.close()
            await asyncio.wait_for(self.writer.wait_closed(), 1.0)
