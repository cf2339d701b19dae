"""After-hours chat (issue 7): is the visitor still around, and how do we reach them if not?

A chat reply only reaches a visitor whose browser is connected, or who comes back and says
`hello`. An answer written next morning to somebody who left last night would wait for a return
that may never come, so once the visitor is neither connected nor seen for `email_fallback_after`
the reply goes by email instead (the hub reroutes it; see `omnitui.core.reroute`). For that the
shop needs an email address: the `offline` line asks for one when none is known, and an address
typed into a chat message is linked to the customer.

Kept apart from the server so the rules are small, testable and the server stays one idea.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from omnitui.config import ChatSettings
from omnitui.core.hours import parse_duration

# Deliberately plain: a word-ish local part, a dotted domain with a letters-only top label. It
# only has to find what a person types ("it's olga@example.org, thanks"), not parse RFC 5322.
_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
    r"[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])"
)
MAX_TRACKED = 100_000  # visitors whose departure time is remembered (oldest forgotten first)


def find_email(text: str) -> str | None:
    """The first email address in a chat message, lower-cased, or None."""
    match = _EMAIL.search(text or "")
    if match is None:
        return None
    return match.group(0).rstrip(".").lower()


def offline_text(cfg: ChatSettings, email_known: bool) -> str:
    """The `offline` line: the configured text, plus the ask for an address when none is known."""
    if email_known or not cfg.offline_ask_email_text.strip():
        return cfg.offline_text
    return f"{cfg.offline_text.rstrip()} {cfg.offline_ask_email_text.strip()}"


class Presence:
    """When each visitor was last seen connected. `clock` is injectable for tests."""

    def __init__(self, cfg: ChatSettings, clock: Callable[[], float] = time.time) -> None:
        self.fallback_after = parse_duration(cfg.email_fallback_after).total_seconds()
        self.clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    def seen(self, visitor: str) -> None:
        """The visitor is here now (hello) or has just left (their last session closed)."""
        self._seen[visitor] = self.clock()
        self._seen.move_to_end(visitor)
        while len(self._seen) > MAX_TRACKED:
            self._seen.popitem(last=False)

    async def gone(self, visitor: str,
                   floor: Callable[[str], Awaitable[float | None]]) -> bool:
        """Not connected (the caller checks that) and not seen for longer than the fallback.

        After a hub restart the channel has seen nobody; `floor` gives the visitor's last
        message time from the store, so a visitor who wrote a minute before the restart is
        not mistaken for one who left long ago. Never seen and never wrote counts as gone.
        """
        last = self._seen.get(visitor)
        if last is None:
            last = await floor(visitor)
        if last is None:
            return True
        return self.clock() - last > self.fallback_after


class OnlineRecord:
    """Tells the store which visitors are connected (core/chat_presence.py), so a console or the
    CLI can start a chat conversation only with a visitor who is online. A visitor's arrival
    and departure are written in the background, in order (the hub's one database thread):
    nobody's hello waits for it, and a store fault never costs a visitor their chat. Marks made
    before the write runs fold into one, and a visitor already recorded so is not written again
    (a client repeating hello on one connection costs nothing)."""

    def __init__(self) -> None:
        self._pending: set[asyncio.Future[None]] = set()
        self._wanted: dict[str, bool] = {}  # the latest mark per visitor, not yet written
        self._online: set[str] = set()  # visitors recorded online (or being recorded)

    def mark(self, ctx: Any, visitor: str, online: bool) -> None:
        if ctx is None or not hasattr(ctx, "visitor_online"):
            return
        first = visitor not in self._wanted
        self._wanted[visitor] = online
        if first:
            task = asyncio.ensure_future(self._write(ctx, visitor))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def clear(self, ctx: Any) -> None:
        """The channel starts or stops: nobody is connected."""
        if ctx is None or not hasattr(ctx, "clear_visitors"):
            return
        if self._pending:  # arrivals written after this would outlive the channel
            await asyncio.wait(list(self._pending), timeout=2.0)
        self._online.clear()
        try:
            await asyncio.shield(ctx.clear_visitors())
        except Exception as exc:
            ctx.log(f"could not record that no visitor is online: {exc}")

    async def _write(self, ctx: Any, visitor: str) -> None:
        online = self._wanted.pop(visitor)
        if online == (visitor in self._online):
            return  # the store says so already
        # Noted before the write, so a departure marked meanwhile is written after it.
        (self._online.add if online else self._online.discard)(visitor)
        try:
            await ctx.visitor_online(visitor, online)
        except Exception as exc:
            (self._online.discard if online else self._online.add)(visitor)
            ctx.log(f"could not record whether a visitor is online: {exc}")
