"""After-hours auto-acknowledgement for email and Telegram (channel setting `auto_ack`).

A customer who writes at night should know the message arrived and when to expect an answer.
An automatic reply is also the classic way to start a mail loop, so every rule here is about
*not* answering: never to auto-replies, bounces or bulk mail, never to noreply-style senders,
never to messages fetched long after they were sent (a first IMAP sync), and at most one
automatic message per conversation per day, whatever the other side does. Two auto-responders
therefore exchange exactly one message each and stop. Our own acknowledgement carries
`Auto-Submitted: auto-replied` (the email channel adds it to automatic replies), so a polite
responder on the other side does not answer it at all.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from omnitui.core.automatic import system_agent
from omnitui.core.hours import BusinessHours
from omnitui.core.reply import reply
from omnitui.core.sla_store import AUTOMATIC_FLAGS
from omnitui.store.db import Store

if TYPE_CHECKING:
    from omnitui.config import Settings

ONCE_PER = timedelta(days=1)
MAX_AGE = timedelta(days=1)  # older messages are a backfill, not a customer waiting now
ACK_KINDS = frozenset({"email", "telegram"})
DEFAULT_TEXT = (
    "Thank you for your message: it has arrived. We are away right now and will answer when "
    "we are back ({when})."
)
_NOREPLY = re.compile(
    r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply|dont[-_.]?reply|mailer[-_.]?daemon|postmaster|"
    r"bounces?|auto[-_.]?reply|notifications?)([-+_.].*)?$",
    re.IGNORECASE,
)


def is_noreply(address: str) -> bool:
    """Addresses that announce nobody reads them; answering them only feeds loops."""
    local = address.rsplit("@", 1)[0].strip().strip("<>\"'")
    return bool(_NOREPLY.match(local))


@dataclass(frozen=True, slots=True)
class AckDecision:
    """Why an acknowledgement was or was not sent: tests and the hub log read `reason`."""

    sent: bool
    reason: str
    message_id: int | None = None


def _when(hours: BusinessHours, at: datetime) -> str:
    opens = hours.next_open(at).astimezone(hours.tz)
    return f"{opens:%A %H:%M} {hours.tz.key}"


def maybe_auto_ack(
    store: Store, settings: Settings, hours: BusinessHours, message_id: int, now: datetime
) -> AckDecision:
    """Acknowledge inbound message `message_id` if every rule allows; at most one reply."""
    row = store.conn.execute(
        "SELECT m.kind, m.channel, m.flags, m.created_at, m.sent_at, m.conversation_id, "
        "m.identity_id, i.kind, i.address, c.merged_into FROM message m "
        "LEFT JOIN identity i ON i.id = m.identity_id "
        "JOIN conversation c ON c.id = m.conversation_id WHERE m.id = ?",
        (message_id,),
    ).fetchone()
    if row is None or row[0] != "inbound":
        return AckDecision(False, "not an inbound message")
    _, channel, flags, created, sent, conv_id, identity_id, id_kind, address, merged = row
    cfg = settings.channels.get(channel or "")
    if cfg is None or cfg.kind not in ACK_KINDS or not getattr(cfg, "auto_ack", False):
        return AckDecision(False, "auto_ack is off for this channel")
    if AUTOMATIC_FLAGS & set((flags or "").split()):
        return AckDecision(False, "automatic mail (auto-reply, bounce or bulk)")
    if id_kind == "email" and is_noreply(address or ""):
        return AckDecision(False, "noreply sender")
    if merged is not None:
        return AckDecision(False, "conversation merged")
    arrived = datetime.fromtimestamp(created, UTC)
    if sent is not None and now - datetime.fromtimestamp(sent, UTC) > MAX_AGE:
        return AckDecision(False, "message is old (backfill)")
    if hours.is_open(arrived):
        return AckDecision(False, "inside business hours")
    since = (now - ONCE_PER).timestamp()
    for meta, answered_by_agent in store.conn.execute(
        "SELECT meta, id > ? FROM message WHERE conversation_id = ? AND kind = 'outbound' "
        "AND created_at >= ?", (message_id, conv_id, since)
    ):
        if json.loads(meta or "{}").get("automatic"):
            return AckDecision(False, "already sent an automatic message today")
        if answered_by_agent:
            return AckDecision(False, "an agent already answered")
    text = (getattr(cfg, "auto_ack_text", None) or DEFAULT_TEXT).replace(
        "{when}", _when(hours, arrived))
    queued = reply(store, conv_id, text, system_agent(store), via_identity=identity_id,
                   automatic=True)
    with store.write("hub:autoack") as tx:
        tx.event("auto_ack", conversation_id=conv_id, message_id=queued.message_id,
                 answering=message_id, channel=channel)
    return AckDecision(True, "acknowledged", queued.message_id)

