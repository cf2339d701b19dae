"""`rate_request` after a conversation is resolved: which visitor does a resolved conversation
belong to?

The channel sees no tables, so it learns the answer from what passes through it: the messages it
committed (the change feed's `message_in` event names their conversation) and the replies it
delivers (`Outbound.conversation_id`). A `status` event saying "resolved" for a conversation it
knows becomes a `rate_request` to that visitor's connected sessions. Known limit: a conversation
nobody wrote in or answered since this hub started is unknown, so it gets no request; a context
method mapping a conversation to its chat addresses would close that gap.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

POLL_SECONDS = 0.05  # a rating prompt is not latency-critical


class _Lru(OrderedDict[int, str]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: int, value: str) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


class ResolutionWatcher:
    def __init__(self, db_path: Path, notify: Callable[[str, int], None],
                 size: int = 50_000) -> None:
        self.db_path = db_path
        self.notify = notify
        self._messages = _Lru(size)  # hub message id → visitor, for messages we committed
        self._conversations = _Lru(size)  # conversation id → visitor

    def learned_message(self, message_id: int, visitor: str) -> None:
        self._messages.put(message_id, visitor)

    def learned_conversation(self, conversation_id: int, visitor: str) -> None:
        self._conversations.put(conversation_id, visitor)

    async def run(self) -> None:
        from omnitui.core.feed import Feed

        feed = await asyncio.to_thread(Feed, self.db_path)
        try:
            while True:
                for event in feed.poll():
                    conv = event.conversation_id
                    if conv is None:
                        continue
                    if event.kind == "message_in" and event.message_id in self._messages:
                        self.learned_conversation(conv, self._messages[event.message_id])
                    elif (event.kind == "status" and event.data.get("status") == "resolved"
                          and conv in self._conversations):
                        self.notify(self._conversations[conv], conv)
                await asyncio.sleep(POLL_SECONDS)
        finally:
            feed.close()
