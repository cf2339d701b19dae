"""One IMAP connection, made safe: every call under a timeout and aborted when the link drops.

Why a wrapper: aioimaplib never fails a pending command when the server says BYE or the TCP
connection dies (an IDLE then hangs forever), and its timeouts do not cover every call. Here each
call races the connection-lost callback and a deadline, and any of those faults becomes `ImapLost`:
the caller throws the session away and reconnects with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import ssl
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

import aioimaplib

from omnitui.channels.email.imapclient import Client
from omnitui.channels.email.tls import client_context

T = TypeVar("T")

FETCH_START_RE = re.compile(rb"^\d+ FETCH \(")
UID_RE = re.compile(rb"\bUID (\d+)")
UIDVALIDITY_RE = re.compile(rb"\[UIDVALIDITY (\d+)\]")
EXISTS_RE = re.compile(rb"^(\d+) EXISTS")
SIZE_RE = re.compile(rb"\bRFC822\.SIZE (\d+)")
IDLE_REISSUE = 25 * 60.0  # RFC 2177: servers may drop an IDLE after 30 minutes


class ImapLost(Exception):
    """The session is unusable (timeout, BYE, connection lost, protocol confusion)."""


class ImapRefused(Exception):
    """The server answered NO/BAD to something that will not improve by retrying (login, select).

    `setting` names the channel setting a person would change to fix it."""

    def __init__(self, message: str, setting: str = "imap_host") -> None:
        super().__init__(message)
        self.setting = setting


@dataclass(frozen=True, slots=True)
class Cursor:
    """The channel's resume point: which mailbox incarnation and the highest UID committed."""

    uidvalidity: int
    last_uid: int

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        if not text:
            return None
        try:
            data = json.loads(text)
            return cls(int(data["uidvalidity"]), int(data["last_uid"]))
        except (ValueError, KeyError, TypeError):
            return None

    def dump(self) -> str:
        return json.dumps({"uidvalidity": self.uidvalidity, "last_uid": self.last_uid})


class ImapSession:
    """A logged-in connection with one mailbox selected."""

    def __init__(
        self, host: str, port: int, security: str, timeout: float, ca_file: str | None = None
    ) -> None:
        self.host, self.port, self.security, self.timeout = host, port, security, timeout
        self.ca_file = ca_file
        self.client: Client | None = None
        self.uidvalidity = 0
        self.exists = 0
        self._lost = asyncio.Event()
        self._lost_reason = "connection lost"

    def _on_lost(self, exc: Exception | None) -> None:
        self._lost_reason = f"connection lost ({exc})" if exc else "connection closed by server"
        self._lost.set()

    @property
    def lost(self) -> bool:
        return self._lost.is_set()

    async def call(self, aw: Awaitable[T], timeout: float | None = -1.0) -> T:
        """Await one client call; ImapLost on deadline, dropped link or a client-side fault.

        `timeout=None` means no overall deadline (a long FETCH relies on aioimaplib's inactivity
        timer instead); the default is the session timeout.
        """
        limit = self.timeout if timeout == -1.0 else timeout
        task = asyncio.ensure_future(aw)
        lost = asyncio.ensure_future(self._lost.wait())
        try:
            done, _ = await asyncio.wait(
                {task, lost}, timeout=limit, return_when=asyncio.FIRST_COMPLETED
            )
        except BaseException:
            task.cancel()
            raise
        finally:
            lost.cancel()
        if task not in done:
            task.cancel()
            raise ImapLost(self._lost_reason if self.lost else f"no answer within {limit:.0f} s")
        try:
            return task.result()
        except (TimeoutError, aioimaplib.CommandTimeout) as exc:
            raise ImapLost(f"command timed out ({type(exc).__name__})") from None
        except (aioimaplib.Abort, aioimaplib.Error, OSError, EOFError, ssl.SSLError) as exc:
            raise ImapLost(f"{type(exc).__name__}: {exc}") from None

    async def open(self, username: str, password: str, mailbox: str) -> None:
        """Connect, log in and SELECT; ImapRefused when the server says no."""
        ctx = client_context(self.ca_file) if self.security != "none" else None
        self.client = Client(
            self.host, self.port, timeout=self.timeout, conn_lost_cb=self._on_lost,
            ssl_context=ctx if self.security == "tls" else None,
        )
        await self.call(self.client.wait_hello_from_server())
        if self.security == "starttls":
            assert ctx is not None
            if not self.client.has_capability("STARTTLS"):
                raise ImapRefused(f"{self.host} does not offer STARTTLS", "imap_security")
            await self.call(self.client.starttls(ctx, self.host))
        resp = await self.call(self.client.login(username, password))
        if resp.result != "OK":
            raise ImapRefused(f"login as {username} refused: {_text(resp)}", "password")
        await self.select(mailbox)

    async def select(self, mailbox: str) -> None:
        assert self.client is not None
        resp = await self.call(self.client.select(_quote(mailbox)))
        if resp.result != "OK":
            raise ImapRefused(f"cannot select mailbox {mailbox!r}: {_text(resp)}", "mailbox")
        for line in resp.lines:
            if isinstance(line, bytes | bytearray):
                if m := UIDVALIDITY_RE.search(line):
                    self.uidvalidity = int(m.group(1))
                if m := EXISTS_RE.match(line):
                    self.exists = int(m.group(1))
        if not self.uidvalidity:
            raise ImapLost("SELECT gave no UIDVALIDITY")

    @property
    def has_idle(self) -> bool:
        return self.client is not None and self.client.has_capability("IDLE")

    async def sizes_after(self, last_uid: int) -> dict[int, int]:
        """UID → size in bytes for every message above last_uid (echoed last UID dropped).

        Why sizes: batches are cut by bytes as well as by count, so a run of 20 MB mails never
        holds gigabytes in memory.
        """
        assert self.client is not None
        resp = await self.call(
            self.client.uid("fetch", f"{last_uid + 1}:*", "(UID RFC822.SIZE)"), timeout=None
        )
        if resp.result != "OK":
            raise ImapLost(f"UID FETCH sizes failed: {_text(resp)}")
        sizes: dict[int, int] = {}
        for line in resp.lines:
            if isinstance(line, bytes) and FETCH_START_RE.match(line):
                uid, size = UID_RE.search(line), SIZE_RE.search(line)
                if uid and int(uid.group(1)) > last_uid:
                    sizes[int(uid.group(1))] = int(size.group(1)) if size else 0
        return dict(sorted(sizes.items()))

    async def fetch(self, uids: list[int]) -> dict[int, bytes | None]:
        """Raw bytes per UID for the given UIDs (None when the server sent no body for it)."""
        assert self.client is not None
        resp = await self.call(
            self.client.uid("fetch", _uid_set(uids), "(UID BODY.PEEK[])"), timeout=None
        )
        if resp.result != "OK":
            raise ImapLost(f"UID FETCH failed: {_text(resp)}")
        return parse_fetch(resp.lines, set(uids))

    async def idle_wait(self, max_wait: float) -> bool:
        """IDLE until the server reports new mail (True) or max_wait passes (False)."""
        assert self.client is not None
        queue: asyncio.Queue[Any] = self.client.protocol.idle_queue
        while not queue.empty():
            queue.get_nowait()
        idle_task = await self.call(self.client.idle_start(timeout=max_wait + 60))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max_wait
        pushed = False
        try:
            while (remaining := deadline - loop.time()) > 0:
                getter = asyncio.ensure_future(queue.get())
                lost = asyncio.ensure_future(self._lost.wait())
                try:
                    done, _ = await asyncio.wait(
                        {getter, lost, idle_task}, timeout=remaining,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                finally:
                    getter.cancel()
                    lost.cancel()
                if lost in done or self.lost:
                    raise ImapLost(self._lost_reason)
                if idle_task in done:
                    raise ImapLost("server ended IDLE on its own")
                if getter in done:
                    lines = getter.result()
                    if lines == aioimaplib.STOP_WAIT_SERVER_PUSH:
                        break
                    blob = b" ".join(bytes(x) for x in lines if isinstance(x, bytes | bytearray))
                    if b"BYE" in blob:
                        raise ImapLost("server said BYE during IDLE")
                    if b"EXISTS" in blob or b"RECENT" in blob:
                        pushed = True
                        break
        except BaseException:
            idle_task.cancel()
            raise
        self.client.idle_done()
        resp = await self.call(idle_task)
        if resp.result != "OK":
            raise ImapLost(f"IDLE ended with {resp.result}: {_text(resp)}")
        return pushed

    async def noop(self) -> None:
        assert self.client is not None
        resp = await self.call(self.client.noop())
        if resp.result != "OK":
            raise ImapLost(f"NOOP failed: {_text(resp)}")

    async def append(self, raw: bytes, mailbox: str, flags: str = "\\Seen") -> None:
        assert self.client is not None
        resp = await self.call(self.client.append(raw, mailbox=_quote(mailbox), flags=flags))
        if resp.result != "OK":
            raise ImapRefused(f"APPEND to {mailbox!r} refused: {_text(resp)}", "sent_folder")

    async def close(self) -> None:
        """Log out politely if the link is alive, then drop it whatever happens."""
        client, self.client = self.client, None
        if client is None:
            return
        if not self.lost and client.protocol.transport is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.logout(), 2.0)
        transport = client.protocol.transport
        if transport is not None:
            transport.close()
        for task in list(client.tasks) + list(client.protocol.tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            client._client_task.cancel()


def parse_fetch(lines: list[Any], wanted: set[int]) -> dict[int, bytes | None]:
    """Pair each FETCH response with its literal, whether UID comes before or after BODY[]."""
    out: dict[int, bytes | None] = {}
    uid: int | None = None
    body: bytes | None = None

    def flush() -> None:
        if uid is not None and uid in wanted:
            out[uid] = body if body is not None else out.get(uid)

    for line in lines:
        if isinstance(line, bytearray):
            body = bytes(line)
            continue
        if not isinstance(line, bytes):
            continue
        if FETCH_START_RE.match(line):
            flush()
            uid, body = None, None
        if uid is None and (m := UID_RE.search(line)):
            uid = int(m.group(1))
    flush()
    return out


def _uid_set(uids: list[int]) -> str:
    """Compact 1:5,7,9:12 notation so a batch stays one short command line."""
    parts: list[str] = []
    start = prev = uids[0]
    for u in uids[1:]:
        if u == prev + 1:
            prev = u
            continue
        parts.append(f"{start}:{prev}" if start != prev else str(start))
        start = prev = u
    parts.append(f"{start}:{prev}" if start != prev else str(start))
    return ",".join(parts)


def _quote(mailbox: str) -> str:
    escaped = mailbox.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _text(resp: Any) -> str:
    lines = [bytes(x).decode("utf-8", "replace") for x in resp.lines if isinstance(x, bytes)]
    return (lines[-1] if lines else resp.result)[:300]
