"""aioimaplib's client with its response parser made iterative.

Why: aioimaplib 2.0.3 parses a received chunk by recursing once per response line, so a chunk
holding a few hundred small FETCH responses (a mailbox of short mails, a batch of a few hundred)
exceeds Python's recursion limit; the protocol then drops the connection, and a reconnect fetches
the same batch and fails again, forever. This is the same algorithm as a loop.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from typing import Any

from aioimaplib import aioimaplib as _a


class LinearFetch(_a.FetchCommand):
    """FetchCommand that remembers where the last FETCH response began.

    Why: the stock `wait_data` rescans every line received so far after each line, which is
    quadratic in the batch size (3,000 small messages: seconds of CPU in the event loop).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._last_fetch = 0

    def append_to_resp(self, line: bytes, result: str = "Pending") -> None:
        super().append_to_resp(line, result)
        if isinstance(line, bytes) and self.FETCH_MESSAGE_DATA_RE.match(line):
            self._last_fetch = len(self._resp_lines) - 1

    def wait_data(self) -> bool:
        tail = self._resp_lines[self._last_fetch :]
        return not _a.matched_parenthesis(b"".join(x for x in tail if isinstance(x, bytes)))


class IterativeProtocol(_a.IMAP4ClientProtocol):
    def data_received(self, d: bytes) -> None:
        """The stock method without its `log.debug('Received : %s' % d)`.

        Why: that line formats every received chunk (the repr of up to 256 KB of bytes) even when
        debug logging is off — about a sixth of a backfill's CPU, all of it in the event loop.
        """
        if _a.log.isEnabledFor(logging.DEBUG):
            _a.log.debug("Received : %r", d[:200])
        try:
            self._handle_responses(self.incomplete_line + d, self._handle_line,
                                   self.current_command)
            self.incomplete_line = b""
            self.current_command = None
        except _a.IncompleteRead as incomplete_read:
            self.current_command = incomplete_read.cmd
            self.incomplete_line = incomplete_read.data

    async def fetch(
        self, message_set: str, message_parts: str, by_uid: bool = False,
        timeout: float | None = None,
    ) -> Any:
        return await self.execute(
            LinearFetch(self.new_tag(), message_set, message_parts,
                        prefix="UID" if by_uid else "", loop=self.loop, timeout=timeout)
        )

    def _handle_responses(
        self,
        data: bytes,
        line_handler: Callable[[bytes, Any], Any],
        current_cmd: Any = None,
    ) -> None:
        while True:
            if not data:
                if self.pending_sync_command is not None:
                    self.pending_sync_command.flush()
                if current_cmd is not None and current_cmd.wait_data():
                    raise _a.IncompleteRead(current_cmd)
                return
            if current_cmd is not None and current_cmd.wait_literal_data():
                data = current_cmd.append_literal_data(data)
                if current_cmd.wait_literal_data():
                    raise _a.IncompleteRead(current_cmd)
            line, separator, tail = data.partition(_a.CRLF)
            if not separator:
                raise _a.IncompleteRead(current_cmd, data)
            cmd = line_handler(line, current_cmd)
            begin_literal = _a.literal_data_re.match(line)
            if begin_literal:
                if cmd is None:
                    cmd = _a.Command("NIL", "unused")
                cmd.begin_literal_data(int(begin_literal.group("size")))
                data, current_cmd = tail, cmd
            elif cmd is not None and cmd.wait_data():
                data, current_cmd = tail, cmd
            else:
                data, current_cmd = tail, None


class Client(_a.IMAP4):
    """IMAP4 (plain or TLS via ssl_context) speaking through IterativeProtocol."""

    def create_client(
        self,
        host: str,
        port: int,
        loop: asyncio.AbstractEventLoop | None,
        conn_lost_cb: Callable[[Exception | None], None] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        local_loop = loop if loop is not None else asyncio.get_running_loop()
        self.protocol = IterativeProtocol(local_loop, conn_lost_cb)
        self._client_task = local_loop.create_task(
            local_loop.create_connection(lambda: self.protocol, host, port, ssl=ssl_context)
        )

    async def starttls(self, context: ssl.SSLContext, server_hostname: str) -> None:
        """Upgrade the connection (aioimaplib has no STARTTLS); capabilities are re-read."""
        proto = self.protocol
        resp = await proto.execute(_a.Command("STARTTLS", proto.new_tag(), loop=proto.loop))
        if resp.result != "OK":
            raise _a.Abort(f"STARTTLS refused: {resp.lines[-1] if resp.lines else resp.result}")
        transport = await proto.loop.start_tls(
            proto.transport, proto, context, server_hostname=server_hostname
        )
        proto.transport = transport
        await proto.capability()
