"""The hub's service-level duties in one object, so hub.py needs only two small calls.

The hub's feed follower hands every batch of events to `on_events` (SLA due times refresh the
moment a message or status change lands) and its 5-second timer calls `on_timer` (breaches that
happen by the mere passing of time). Everything here is synchronous store work: the hub runs it
on its database thread, tests call it directly with an injected `now`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from omnitui.core.autoack import ACK_KINDS, maybe_auto_ack
from omnitui.core.csat import request_csat, take_rating
from omnitui.core.feed import Event
from omnitui.core.hours import BusinessHours
from omnitui.core.resolve_settle import SETTLED_EVENT
from omnitui.core.sla import SlaPolicy
from omnitui.core.sla_store import DueState, RecordedBreach, refresh_due, refresh_many
from omnitui.store.db import Store

if TYPE_CHECKING:
    from omnitui.config import Settings

SLA_EVENTS = frozenset({"message_in", "message_out", "status", "conversation_merged", "rating",
                        "undo", "conversation_unfolded"})
# Kinds that never change a conversation's messages or status: a conversation known to be
# waiting stays known across them. Any other kind naming it makes the next message replay it.
KEEPS_WAITING = frozenset({"message_in", "message_edited", "delivery", "customer_typing",
                           "presence", "read", "note", "label", "unlabel", "assign",
                           "sla_breach"})
# Customer-level changes that may move conversations: forget every waiting conversation.
FORGETS_ALL = frozenset({"customer_merged", "customer_unmerged"})


class ServiceLevels:
    """SLA refresh, after-hours acknowledgements and email CSAT, driven by feed and timer."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.policy = SlaPolicy.from_config(settings.sla)
        self.hours = BusinessHours.from_config(settings.hours, settings.timezone)
        self.due = DueState()

    def on_events(self, store: Store, events: Sequence[Event], now: datetime) -> list[str]:
        """React to a batch of feed events; returns log lines worth writing (one per action)."""
        touched = self._touched(events)
        notes: list[str] = []
        for event in events:
            conv = event.conversation_id
            if event.kind == "message_in" and event.message_id is not None:
                if not self._may_ack(event):
                    continue
                # A rating reply reopened the conversation: put it back, and do not ack it.
                score = take_rating(store, event.message_id) if event.data.get("reopened") \
                    else None
                if score is not None:
                    notes.append(f"conversation {conv}: rated {score} by email")
                    continue
                ack = maybe_auto_ack(store, self.settings, self.hours, event.message_id, now)
                if ack.sent:
                    notes.append(f"conversation {conv}: after-hours acknowledgement queued")
            # A resolve asks for a rating once its undo window has passed (core.resolve_settle).
            elif (event.kind == SETTLED_EVENT and conv is not None
                  and (asked := request_csat(store, self.settings, conv)) is not None):
                notes.append(f"conversation {conv}: rating requested by {self._kind(store, asked)}")
        if touched:
            breaches = refresh_many(store, touched, self.policy, self.hours, now, self.due)
            notes.extend(_describe(b) for b in breaches)
        if events:
            self.due.feed_after = max(self.due.feed_after, events[-1].id)
        return notes

    def _touched(self, events: Sequence[Event]) -> set[int]:
        """The conversations whose SLA picture may have changed. A customer writing again
        where they already wait (open, unanswered, not reopened by this message) changes no
        clock, so that conversation is not replayed: under a busy chat that is most messages.
        A breach that fell due meanwhile is found by the timer (`DueState.next_check`)."""
        waiting = self.due.waiting
        touched: set[int] = set()
        for e in events:
            conv = e.conversation_id
            if conv is None:
                if e.kind in FORGETS_ALL:
                    waiting.clear()
                continue
            if e.kind == "message_in" and conv in waiting and conv not in touched \
                    and not e.data.get("reopened") and not e.data.get("new_conversation"):
                continue
            if e.kind in SLA_EVENTS:
                touched.add(conv)
            if e.kind not in KEEPS_WAITING:
                waiting.discard(conv)
        return touched

    def _may_ack(self, event: Event) -> bool:
        """Whether the message's channel could acknowledge it at all (or it may be a rating);
        spares a query per chat message, whose channel never auto-acknowledges."""
        if event.data.get("reopened"):
            return True
        channel = event.data.get("channel")
        cfg = self.settings.channels.get(channel) if isinstance(channel, str) else None
        return cfg is None or (cfg.kind in ACK_KINDS and bool(getattr(cfg, "auto_ack", False)))

    def _kind(self, store: Store, message_id: int) -> str:
        """The channel kind a message went by ("email", "telegram"), for the log line."""
        row = store.conn.execute("SELECT channel FROM message WHERE id = ?",
                                 (message_id,)).fetchone()
        cfg = self.settings.channels.get(row[0]) if row else None
        return cfg.kind if cfg is not None else "message"

    def on_timer(self, store: Store, now: datetime) -> list[str]:
        """Find breaches caused by time passing; cheap when nothing is due."""
        return [_describe(b) for b in refresh_due(store, self.policy, self.hours, now, self.due)]


def _describe(recorded: RecordedBreach) -> str:
    b = recorded.breach
    return (f"conversation {recorded.conversation_id}: {b.target} response target "
            f"missed ({b.channel_kind or 'default'}, due {b.due.isoformat(timespec='seconds')})"
            if b.target != "resolution" else
            f"conversation {recorded.conversation_id}: resolution target missed "
            f"(due {b.due.isoformat(timespec='seconds')})")
