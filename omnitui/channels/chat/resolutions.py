"""`rate_request` after a conversation is resolved: which visitor does a resolved conversation
belong to?

The channel sees no tables, so it learns the answer from what passes through it: the messages it
committed (the change feed's `message_in` event names their conversation) and the replies it
delivers (`Outbound.conversation_id`). A resolve of a conversation it knows becomes a
`rate_request` to that visitor's connected sessions once the resolve is final: the hub's
`resolve_settled` event, written when the undo window has passed (core.resolve_settle). Known
limit: a conversation nobody wrote in or answered since this hub started is unknown, so it gets
no request; a context method mapping a conversation to its chat addresses would close that gap.

The feed wakes at the commit, a few loop turns before the channel hears which visitor the new
message id belongs to, so either side may come first: each waits for the other in an LRU.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, TypeVar

from omnitui.core.resolve_settle import SETTLED_EVENT

if TYPE_CHECKING:
    from omnitui.core.feed import Event
    from omnitui.store.database import Database

V = TypeVar("V")
UNCLAIMED = 4096  # message_in events the channel has not named yet (it does within loop turns)


class _Lru(OrderedDict[int, V]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: int, value: V) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


class ResolutionWatcher:
    def __init__(self, database: Database, notify: Callable[[str, int], None],
                 size: int = 50_000, typing: Callable[[str, bool], None] | None = None) -> None:
        self.database = database
        self.notify = notify
        self.typing = typing  # an agent's typing mark in a known conversation → its visitor
        self._messages: _Lru[str] = _Lru(size)  # message id → visitor, its event not seen yet
        self._conversations: _Lru[str] = _Lru(size)  # conversation id → visitor
        self._unclaimed: _Lru[int] = _Lru(UNCLAIMED)  # message id → conversation, seen first

    def learned_message(self, message_id: int, visitor: str) -> None:
        conversation = self._unclaimed.pop(message_id, None)
        if conversation is None:
            self._messages.put(message_id, visitor)
        else:
            self.learned_conversation(conversation, visitor)

    def learned_conversation(self, conversation_id: int, visitor: str) -> None:
        self._conversations.put(conversation_id, visitor)

    async def run(self, batches: AsyncIterator[list[Event]] | None = None) -> None:
        """Follow the change feed until cancelled: `batches` (the hub's own follower, see
        `HubContext.follow_feed`), or a follower of its own; either sleeps on inotify while
        nothing happens, so a quiet chat channel costs no CPU."""
        from omnitui.core.feed import follow_events

        if batches is None:
            batches = follow_events(self.database)
        async with contextlib.aclosing(batches):
            async for events in batches:
                for event in events:
                    self._on_event(event)

    def _on_event(self, event: Event) -> None:
        conv = event.conversation_id
        if conv is None:
            return
        if event.kind == "message_in" and event.message_id is not None:
            visitor = self._messages.pop(event.message_id, None)
            if visitor is None:
                self._unclaimed.put(event.message_id, conv)
            else:
                self.learned_conversation(conv, visitor)
        elif event.kind == SETTLED_EVENT and conv in self._conversations:
            self.notify(self._conversations[conv], conv)
        elif event.kind == "presence" and self.typing is not None and \
                conv in self._conversations:
            self.typing(self._conversations[conv], bool(event.data.get("typing")))
