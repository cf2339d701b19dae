"""Telegram's sending limits, kept on our side so the bot is rarely told to wait.

Telegram asks bots to send at most one message per second to one chat and about 30 per second
overall; beyond that it answers 429. `wait` reserves a slot and sleeps until it is due, so callers
sending concurrently are spaced without a busy loop.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from collections.abc import Awaitable, Callable


class RateLimiter:
    def __init__(self, per_chat: float = 1.0, overall: float = 30.0, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.chat_gap = 1.0 / per_chat
        self.global_gap = 1.0 / overall
        self._clock = clock
        self._sleep = sleep
        self._slots: list[float] = []
        self._next_chat: dict[str, float] = {}

    def reserve(self, chat: str) -> float:
        """Book the earliest slot that keeps both limits; seconds to wait before using it.

        Overall slots are kept as a sorted list, so a chat held back by its own 1/s limit does
        not hold back the next chat behind it.
        """
        now = self._clock()
        gap = self.global_gap
        self._slots = [s for s in self._slots if s > now - gap]
        at = max(now, self._next_chat.get(chat, 0.0))
        for slot in self._slots:
            if slot <= at - gap:
                continue
            if slot >= at + gap:
                break
            at = slot + gap
        bisect.insort(self._slots, at)
        self._next_chat[chat] = at + self.chat_gap
        if len(self._next_chat) > 10_000:  # forget chats whose slot has long passed
            self._next_chat = {k: v for k, v in self._next_chat.items() if v > now}
        return at - now

    async def wait(self, chat: str) -> None:
        delay = self.reserve(chat)
        if delay > 0:
            await self._sleep(delay)

    def penalise(self, chat: str, seconds: float) -> None:
        """After a 429, keep this chat back for `seconds` (the outbox also waits)."""
        until = self._clock() + seconds
        self._next_chat[chat] = max(self._next_chat.get(chat, 0.0), until)
