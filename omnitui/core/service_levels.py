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

from omnitui.core.autoack import maybe_auto_ack
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
                        "undo"})


class ServiceLevels:
    """SLA refresh, after-hours acknowledgements and email CSAT, driven by feed and timer."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.policy = SlaPolicy.from_config(settings.sla)
        self.hours = BusinessHours.from_config(settings.hours, settings.timezone)
        self.due = DueState()

    def on_events(self, store: Store, events: Sequence[Event], now: datetime) -> list[str]:
        """React to a batch of feed events; returns log lines worth writing (one per action)."""
        touched = {e.conversation_id for e in events
                   if e.kind in SLA_EVENTS and e.conversation_id is not None}
        notes: list[str] = []
        for event in events:
            conv = event.conversation_id
            if event.kind == "message_in" and event.message_id is not None:
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
        return notes

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
