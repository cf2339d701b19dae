"""`omnitui chat`: a customer's chat in a terminal that survives hub restarts.

What it shows a shop's own client should do (docs/chat-protocol.md, "Reconnect and resend"):
every typed message keeps its `id` until the hub acks it; when the connection drops the client
reconnects with backoff, says `hello` again and resends every unacked message in order with the
same `id` (the hub stores each once); replies are shown once per hub `id` however often they
are pushed, and each is answered with `delivered`.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
import threading
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from omnitui.channels.chat.client import ChatClient, ChatError
from omnitui.core.sanitize import clean_text

FIRST_DELAY, MAX_DELAY = 0.5, 30.0  # reconnect backoff, seconds (doubling, with jitter)
SEND_GIVE_UP = 60.0  # --send: seconds to keep trying through a hub restart before giving up
RETRYABLE = ("closed",)  # a ChatError code that means "the connection went", not "refused"


def _stdin_lines(lines: Iterable[str], loop: asyncio.AbstractEventLoop,
                 queue: asyncio.Queue[str | None]) -> None:
    """In a daemon thread, so a blocked read of stdin never holds the process at exit."""

    def feed() -> None:
        for line in lines:
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=feed, name="chat-stdin", daemon=True).start()


def _shown(value: object) -> str:
    """Text from the hub, fit for a terminal: no escape sequences or control characters."""
    text = clean_text(str(value or ""))
    return "".join(c for c in text if c == "\n" or c == "\t" or c.isprintable())


class TerminalChat:
    """One visitor across any number of connections to the hub."""

    def __init__(self, socket_path: Path | str | None, visitor: str, name: str | None,
                 email: str | None, out: Callable[[str], Any], *, tcp: str | None = None,
                 token: str | None = None) -> None:
        self.socket_path = socket_path
        self.tcp = tcp
        self.visitor, self.name, self.email, self.token = visitor, name, email, token
        self.out = out
        self.pending: dict[str, str] = {}  # id → text, unacked, in the order typed
        self.seen: set[str] = set()  # every message id already shown
        self.client: ChatClient | None = None
        self.connected = asyncio.Event()
        self.wake = asyncio.Event()
        self.fatal: str | None = None  # a refusal that reconnecting cannot fix
        self.hellos = 0

    async def connect(self) -> None:
        """One connection and its hello; the history shows what was not shown yet."""
        client = await ChatClient.connect(self.socket_path, tcp=self.tcp)
        try:
            welcome = await client.hello(self.visitor, self.name, self.email, self.token)
        except BaseException:
            await client.close()
            raise
        again = self.hellos > 0
        self.hellos += 1
        for item in welcome.get("history", []):
            if str(item.get("id")) in self.seen:
                continue
            self.seen.add(str(item.get("id")))
            if again and item.get("from") == "customer":
                continue  # typed in this terminal: already on screen
            who = "you" if item.get("from") == "customer" else "support"
            self.out(f"[{_shown(item.get('at'))}] {who}: {_shown(item.get('text'))}")
        self.client = client
        self.connected.set()
        self.wake.set()  # resend what was not acked

    async def stay_connected(self) -> None:
        """Show what the hub says; when the connection ends, reconnect with backoff."""
        delay = FIRST_DELAY
        while True:
            client = self.client
            if client is not None:
                opened = asyncio.get_running_loop().time()
                await self._show(client)
                self.connected.clear()
                self.client = None
                await client.close()
                self.out("(connection to the hub lost; reconnecting…)")
                if asyncio.get_running_loop().time() - opened > 10:
                    delay = FIRST_DELAY
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(MAX_DELAY, delay * 2)
            try:
                await self.connect()
            except (OSError, TimeoutError):
                continue
            except ChatError as exc:
                if exc.code in RETRYABLE:
                    continue
                self.fatal = f"The hub refused the hello: {exc}"
                self.out(self.fatal)
                self.wake.set()
                return
            self.out("(reconnected)")

    async def _show(self, client: ChatClient) -> None:
        async for obj in client.messages():
            kind = obj.get("type")
            if kind == "message":
                hub_id = str(obj.get("id"))
                if hub_id not in self.seen:
                    self.seen.add(hub_id)
                    self.out(f"[{_shown(obj.get('at'))}] {_shown(obj.get('agent'))}: "
                             f"{_shown(obj.get('text'))}")
                with contextlib.suppress(OSError, ConnectionError):
                    await client.delivered(hub_id)
            elif kind == "offline":
                self.out(f"(offline) {_shown(obj.get('text'))}")
            elif kind == "rate_request":
                self.out("(the conversation was resolved; how did we do? type /rate 1-5)")
            elif kind == "error":
                self.out(f"error {_shown(obj.get('code'))}: {_shown(obj.get('message'))}")

    async def send_pending(self) -> None:
        """The one sender: unacked messages in order, again from the first after a reconnect."""
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.pending and self.connected.is_set() and self.client is not None:
                msg_id, text = next(iter(self.pending.items()))
                try:
                    await self.client.send(text, msg_id)
                except ChatError as exc:
                    if exc.code in RETRYABLE:
                        break  # resent after the reconnect
                    self.pending.pop(msg_id, None)
                    self.out(f"Not sent: {exc}")
                    continue
                except (TimeoutError, OSError, ConnectionError):
                    break
                self.pending.pop(msg_id, None)
                self.out("sent")

    def submit(self, text: str) -> str:
        msg_id = uuid.uuid4().hex
        self.pending[msg_id] = text
        self.wake.set()
        return msg_id

    async def rate(self, score: int, comment: str | None) -> None:
        if self.client is None:
            self.out("Not sent: not connected to the hub right now.")
            return
        try:
            await self.client.rate(score, comment)
        except (ChatError, TimeoutError) as exc:
            self.out(f"Not sent: {exc or 'no ack from the hub in time'}")

    async def drained(self, give_up: float | None) -> bool:
        """Wait until every typed message is acked (False after `give_up` seconds)."""
        loop = asyncio.get_running_loop()
        deadline = None if give_up is None else loop.time() + give_up
        while self.pending and self.fatal is None:
            if deadline is not None and loop.time() > deadline:
                return False
            await asyncio.sleep(0.05)
        return not self.pending


async def run_chat_client(socket_path: Path | str | None, visitor: str, name: str | None,
                          email: str | None, send_text: str | None = None,
                          out: Callable[[str], Any] = print,
                          lines: Iterable[str] | None = None, *, tcp: str | None = None,
                          token: str | None = None,
                          give_up: float = SEND_GIVE_UP) -> int:
    """Print history and replies as they arrive and send each line typed, through hub
    restarts. With `send_text`, send once, wait for the ack (up to `give_up` seconds of
    reconnecting) and return. Exit code 0, or 1 on failure."""
    chat = TerminalChat(socket_path, visitor, name, email, out, tcp=tcp, token=token)
    try:
        await chat.connect()
    except (OSError, TimeoutError) as exc:
        out(f"Cannot connect to {tcp or socket_path}: {getattr(exc, 'strerror', None) or exc}. "
            "Is the hub running (omnitui serve)?")
        return 1
    except ChatError as exc:
        out(f"The hub refused the hello: {exc}")
        return 1
    tasks = [asyncio.create_task(chat.stay_connected()),
             asyncio.create_task(chat.send_pending())]
    try:
        if send_text is not None:
            chat.submit(send_text)
            if await chat.drained(give_up):
                return 0
            if chat.fatal is None:
                out(f"Not sent: the hub did not acknowledge it within {give_up:.0f} s.")
            return 1
        return await _interactive(chat, sys.stdin if lines is None else lines)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        if chat.client is not None:
            await chat.client.close()


async def _interactive(chat: TerminalChat, lines: Iterable[str]) -> int:
    typed: asyncio.Queue[str | None] = asyncio.Queue()
    _stdin_lines(lines, asyncio.get_running_loop(), typed)
    while (line := await typed.get()) is not None:
        text = line.rstrip("\n")
        if not text.strip():
            continue
        if text.startswith("/rate "):
            score, _, comment = text[6:].partition(" ")
            if not score.isdigit():
                chat.out("Not sent: /rate takes a number from 1 to 5.")
                continue
            await chat.drained(None)  # the rating follows the messages typed before it
            await chat.rate(int(score), comment or None)
            continue
        chat.submit(text)
    await chat.drained(None)  # end of input: leave once everything typed is stored
    return 1 if chat.fatal else 0
