"""Rate limiting per visitor and batched commits, the two things that keep the chat hub cheap.

Why batching: every accepted message must be committed before its `ack`. One transaction per
message would make 50 busy visitors queue on SQLite's single writer; messages that arrive within
the same moment share one transaction instead (ingest is idempotent within a batch too), and a
batch that fails is retried one message at a time so one bad message cannot sink the others.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from omnitui.channels.base import Inbound


class RateLimiter:
    """At most `limit` accepted messages per visitor in any `window` seconds (sliding)."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic,
                 max_visitors: int = 100_000) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.max_visitors = max_visitors
        self._seen: dict[str, deque[float]] = {}
        self._calls = 0

    def allow(self, visitor: str) -> bool:
        """Count one message if it is allowed; a refused one is not counted."""
        now = self.clock()
        self._calls += 1
        if self._calls % 1024 == 0 or len(self._seen) > self.max_visitors:
            self._forget_idle(now)
        times = self._seen.setdefault(visitor, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        return True

    def _forget_idle(self, now: float) -> None:
        """Keeps memory bounded by the number of visitors active in the last window."""
        for visitor in [v for v, t in self._seen.items() if not t or t[-1] <= now - self.window]:
            del self._seen[visitor]


class Recent:
    """A bounded set of recently committed (visitor, id) keys: a resend is acked at once."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._keys: OrderedDict[tuple[str, str], None] = OrderedDict()

    def __contains__(self, key: tuple[str, str]) -> bool:
        if key in self._keys:
            self._keys.move_to_end(key)
            return True
        return False

    def add(self, key: tuple[str, str]) -> None:
        self._keys[key] = None
        self._keys.move_to_end(key)
        while len(self._keys) > self.size:
            self._keys.popitem(last=False)


Ingest = Callable[[Sequence[Inbound]], Awaitable[list[int]]]


class Batcher:
    """Collects messages from every connection and commits them in as few transactions as
    the database allows; `submit` returns the message id once it is committed."""

    def __init__(self, ingest: Ingest, log: Callable[[str], None], max_batch: int = 200) -> None:
        self._ingest = ingest
        self._log = log
        self.max_batch = max_batch
        self._queue: list[tuple[Inbound, asyncio.Future[int]]] = []
        self._wake = asyncio.Event()

    async def submit(self, item: Inbound) -> int:
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        self._wake.set()
        return await future

    async def run(self) -> None:
        """Commit until cancelled; waiting submitters are cancelled with it (no ack is sent
        for a message whose commit we did not see, so the client resends it)."""
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                while self._queue:
                    batch, self._queue = (self._queue[: self.max_batch],
                                          self._queue[self.max_batch:])
                    await self._commit(batch)
        finally:
            for _, future in self._queue:
                future.cancel()
            self._queue = []

    async def _commit(self, batch: list[tuple[Inbound, asyncio.Future[int]]]) -> None:
        live = [(item, fut) for item, fut in batch if not fut.done()]
        if not live:
            return
        try:
            ids = await self._ingest([item for item, _ in live])
        except asyncio.CancelledError:
            for _, fut in live:
                fut.cancel()
            raise
        except Exception as exc:
            if len(live) == 1:
                self._log(f"could not store a message: {_one_line(exc)}")
                _fail(live[0][1], exc)
                return
            for pair in live:  # isolate the message that breaks the batch
                await self._commit([pair])
            return
        for (_, fut), message_id in zip(live, ids, strict=True):
            if not fut.done():
                fut.set_result(message_id)


def _fail(future: asyncio.Future[Any], exc: Exception) -> None:
    if not future.done():
        future.set_exception(exc)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
