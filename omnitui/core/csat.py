"""Customer satisfaction: ask for a 1–5 rating on resolve, and read the answer.

Email has no buttons, so the ask is a line in an automatic reply ("reply with one digit") and
the answer is a reply whose text is just that digit, perhaps with a short comment. Ingest routes
such a reply into the resolved conversation and reopens it, as it does for any customer reply;
the hub's feed follower then takes it as the rating and puts the conversation back to resolved
in one transaction, undoing the reopen, so a rating never lands in an agent's queue, never
counts against first-contact resolution and never starts an SLA clock. Anything else the
customer writes reopens the conversation as usual. Chat (`rate_request`) and Telegram (inline
keyboard) ask in their own way; they use `csat_requested` / `mark_csat_requested` so that every
channel agrees on whether a rating was asked for the current resolution.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from omnitui.channels.base import META_CSAT_KEYBOARD
from omnitui.core.autoack import is_noreply
from omnitui.core.automatic import system_agent
from omnitui.core.reply import reply
from omnitui.core.sanitize import clean_text
from omnitui.core.sla_store import AUTOMATIC_FLAGS
from omnitui.store.db import Store

if TYPE_CHECKING:
    from omnitui.config import Settings

REQUEST_EVENT = "csat_request"
MAX_COMMENT = 200  # longer than this is a message, not a comment on a rating
REQUEST_TEXT = (
    "Your request is resolved. How did we do? Reply with one digit from 1 (poor) to "
    "5 (excellent); you may add a short comment after it."
)
TELEGRAM_REQUEST_TEXT = (
    "Your request is resolved. How did we do? Tap a rating from 1 (poor) to 5 (excellent)."
)
# A digit, optionally "/5" or "star(s)", then the end, a separator or a new line. "5 items are
# missing" is a message, not a rating: words right after the digit need a separator first.
_RATING = re.compile(
    r"^\s*([1-5])\s*(?:/\s*5|(?:stars?|★)|\*)?\s*(?:$|[-–—:,.;!)]\s*(.*)$|\n(.*)$)",
    re.DOTALL | re.IGNORECASE,
)


def parse_rating(text: str) -> tuple[int, str | None] | None:
    """(score, comment) when `text` is a rating reply, else None (then it is a message)."""
    body = (text or "").replace("\r\n", "\n")
    body = re.split(r"^-- ?$", body, maxsplit=1, flags=re.MULTILINE)[0].strip()  # signature
    match = _RATING.match(body)
    if match is None:
        return None
    comment = " ".join((match.group(2) or match.group(3) or "").split())
    if len(comment) > MAX_COMMENT:
        return None
    return int(match.group(1)), comment or None


def _last_event_id(store: Store, conversation_id: int, sql_filter: str) -> int:
    return int(store.conn.execute(
        f"SELECT coalesce(max(id), 0) FROM event WHERE conversation_id = ? AND {sql_filter}",
        (conversation_id,),
    ).fetchone()[0])


def csat_requested(store: Store, conversation_id: int) -> bool:
    """Whether a rating was asked for the conversation's current (latest) resolution."""
    sql = store.sql
    resolved = _last_event_id(
        store, conversation_id, f"kind = 'status' AND {sql.json_text('data', 'status')} = "
        f"'resolved' AND {sql.json_flag('data', 'csat_rating')} IS NULL AND id NOT IN (SELECT "
        f"{sql.json_int('u.data', 'undone')} FROM event u WHERE u.conversation_id = "
        "event.conversation_id AND u.kind = 'undo')")
    asked = _last_event_id(store, conversation_id, f"kind = '{REQUEST_EVENT}'")
    return resolved > 0 and asked > resolved


def mark_csat_requested(store: Store, conversation_id: int, channel: str, *,
                        actor: str = "hub:csat", message_id: int | None = None) -> None:
    """Record that a rating was asked (chat `rate_request`, Telegram keyboard, email line)."""
    with store.write(actor) as tx:
        customer = tx.scalar("SELECT customer_id FROM conversation WHERE id = ?",
                             (conversation_id,))
        tx.event(REQUEST_EVENT, conversation_id=conversation_id, customer_id=customer,
                 message_id=message_id, channel=channel)


def request_csat(store: Store, settings: Settings, conversation_id: int) -> int | None:
    """On resolve: ask by email (a line to answer with a digit) or by Telegram (a message with
    an inline keyboard 1–5, see `channels.telegram.send`) when the customer's channel is one of
    those with `csat` on. Chat asks on its own (`rate_request`).

    Returns the queued message id, or None when no request is due (another channel kind, csat
    off, already asked for this resolution, reopened meanwhile, or an address nobody reads).
    """
    row = store.conn.execute(
        "SELECT c.status, c.merged_into, m.channel, m.identity_id, i.address, m.flags "
        "FROM conversation c JOIN message m ON m.conversation_id = c.id AND m.kind = 'inbound' "
        "LEFT JOIN identity i ON i.id = m.identity_id WHERE c.id = ? "
        "ORDER BY (m.flags = '') DESC, m.id DESC LIMIT 1",
        (conversation_id,),
    ).fetchone()
    if row is None or row[0] != "resolved" or row[1] is not None:
        return None
    _, _, channel, identity_id, address, flags = row
    cfg = settings.channels.get(channel or "")
    if cfg is None or cfg.kind not in ("email", "telegram") or not getattr(cfg, "csat", False):
        return None
    if AUTOMATIC_FLAGS & set((flags or "").split()) or is_noreply(address or ""):
        return None
    if csat_requested(store, conversation_id):
        return None
    if cfg.kind == "telegram":  # the answer is a button press: `record_telegram_rating`
        queued = reply(store, conversation_id, TELEGRAM_REQUEST_TEXT, system_agent(store),
                       via_identity=identity_id, automatic=True,
                       extra_meta={META_CSAT_KEYBOARD: conversation_id})
    else:
        queued = reply(store, conversation_id, REQUEST_TEXT, system_agent(store),
                       via_identity=identity_id, automatic=True)
    mark_csat_requested(store, conversation_id, channel, message_id=queued.message_id)
    return queued.message_id


def take_rating(store: Store, message_id: int) -> int | None:
    """If inbound `message_id` answered our rating request, store it; returns the score.

    Only a reply that reopened a resolved conversation whose rating was asked for counts, and
    only while nothing else happened since. Everything is one transaction: the rating (with
    the same `rating` event `record_rating` writes, plus the message id) and the return to
    resolved (a `status` event marked `csat_rating`, which does not ask again).
    """
    row = store.conn.execute(
        "SELECT m.kind, m.text, m.conversation_id, m.flags, c.status, c.last_message_id "
        "FROM message m JOIN conversation c ON c.id = m.conversation_id WHERE m.id = ?",
        (message_id,),
    ).fetchone()
    if row is None or row[0] != "inbound" or row[4] != "open" or row[5] != message_id:
        return None
    _, text, conv_id, flags, _, _ = row
    if AUTOMATIC_FLAGS & set((flags or "").split()) or not csat_requested(store, conv_id):
        return None
    parsed = parse_rating(text)
    if parsed is None:
        return None
    score, comment = parsed
    with store.write("customer") as tx:
        conv = tx.one("SELECT customer_id, status, last_message_id FROM conversation "
                      "WHERE id = ?", (conv_id,))
        if conv is None or conv[1] != "open" or conv[2] != message_id:
            return None  # an agent or the customer acted meanwhile: leave it open
        tx.execute(
            "UPDATE conversation SET rating = ?, rating_comment = ?, status = 'resolved', "
            f"reopen_count = {tx.sql.larger('reopen_count - 1', '0')}, waiting_since = NULL, "
            "due_at = NULL WHERE id = ?",
            (score, clean_text(comment) if comment else None, conv_id),
        )
        tx.event("rating", conversation_id=conv_id, customer_id=conv[0], message_id=message_id,
                 score=score, **({"comment": clean_text(comment)} if comment else {}))
        tx.event("status", conversation_id=conv_id, customer_id=conv[0], status="resolved",
                 previous="open", csat_rating=True)
    return score


def record_telegram_rating(store: Store, address: str, conversation_id: int, score: int) -> bool:
    """A tap on the rating keyboard (callback data "csat:<conversation>:<score>").

    A callback query is not a message, so nothing was reopened and the plain `record_rating`
    applies (a later tap replaces the score). Callback data comes from the customer's client and
    can be forged, so it counts only from a Telegram identity of the conversation's customer
    and only when a rating was asked for its latest resolution.
    """
    from omnitui.core.actions import record_rating

    if not 1 <= score <= 5:
        return False
    owner = store.conn.execute(
        "SELECT 1 FROM conversation c JOIN identity i ON i.customer_id = c.customer_id "
        "WHERE c.id = ? AND c.merged_into IS NULL AND i.kind = 'telegram' AND i.address = ?",
        (conversation_id, address),
    ).fetchone()
    if owner is None or not csat_requested(store, conversation_id):
        return False
    record_rating(store, conversation_id, score, actor=f"customer:{address}")
    return True
