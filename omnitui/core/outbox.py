"""Outbox delivery bookkeeping: claim queued replies, record what the channel said.

The hub claims a few due rows (queued → sending), asks the channel to send each, then records
sent, delivered, a retry with backoff, or failure with the server's reason. A row left "sending"
by a crash is settled on start by the channel's stated policy:
- "resend": send again (chat: the client de-duplicates by message id);
- "resend_once": mark it ambiguous and send again once with the same bytes and id, never more
  (email: the same Message-ID lets mail clients fold a double);
- "fail": mark it failed, "interrupted; not resent", for the agent to decide.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from omnitui.channels.base import Outbound, OutboundAttachment, ResendPolicy
from omnitui.core.clock import from_epoch
from omnitui.core.permissions import SYSTEM_USERNAME
from omnitui.core.sanitize import clean_line
from omnitui.store.db import Store, Tx
from omnitui.store.files import blob_path

MAX_BACKOFF = 15 * 60.0
MAX_ATTEMPTS = 12


@dataclass(frozen=True, slots=True)
class Claimed:
    outbox_id: int
    message_id: int
    channel: str
    attempts: int
    ambiguous: bool


def backoff(attempts: int) -> float:
    """2 s, 4 s, 8 s … capped at 15 minutes."""
    return min(MAX_BACKOFF, 2.0 ** max(1, attempts))


def claim_due(store: Store, channels: set[str], limit: int = 20) -> list[Claimed]:
    """Move up to `limit` due rows of these channels from queued to sending, oldest first."""
    if not channels:
        return []
    marks = ",".join("?" * len(channels))
    with store.write("hub:outbox") as tx:
        fail_replies_of_disabled_agents(tx)
        rows = tx.all(
            "UPDATE outbox SET state = 'sending', claimed_at = ?, attempts = attempts + 1 "
            f"WHERE id IN (SELECT id FROM outbox WHERE state = 'queued' AND channel IN ({marks}) "
            "AND next_attempt_at <= ? ORDER BY id LIMIT ?) "
            "RETURNING id, message_id, channel, attempts, ambiguous",
            (tx.now, *sorted(channels), tx.now, limit),
        )
        if rows:
            tx.executemany(
                "UPDATE message SET delivery_state = 'sending' WHERE id = ?",
                [(r[1],) for r in rows],
            )
    return sorted((Claimed(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows),
                  key=lambda c: c.outbox_id)


def fail_replies_of_disabled_agents(tx: Tx) -> int:
    """A reply whose author was disabled before it left is not sent: it fails, with a reason
    every agent sees in the timeline. Runs when an agent is disabled and before every claim (an
    agent disabled by other means than `agent disable` is caught there). Automatic messages,
    signed by the disabled automatic sender, are not affected."""
    rows = tx.all(
        "SELECT o.id, o.message_id, a.username FROM outbox o JOIN message m ON m.id = "
        "o.message_id JOIN agent a ON a.id = m.agent_id WHERE o.state = 'queued' "
        "AND a.disabled = 1 AND a.username != ?", (SYSTEM_USERNAME,))
    for _outbox_id, message_id, username in rows:
        withdraw_queued(tx, message_id, f"not sent: {username} was disabled before it left")
    return len(rows)


def withdraw_queued(tx: Tx, message_id: int, reason: str) -> bool:
    """Fail a message that has not left yet (still queued, not being sent), with a reason every
    agent sees; False when it is already on its way or sent."""
    cur = tx.execute("UPDATE outbox SET state = 'failed', last_error = ? WHERE message_id = ? "
                     "AND state = 'queued'", (reason, message_id))
    if not cur.rowcount:
        return False
    tx.execute("UPDATE message SET delivery_state = 'failed', failure_reason = ? WHERE id = ?",
               (reason, message_id))
    _delivery_event(tx, message_id, "failed", reason=reason)
    return True


def next_due(store: Store, channels: set[str]) -> float | None:
    if not channels:
        return None
    marks = ",".join("?" * len(channels))
    return store.conn.execute(
        f"SELECT min(next_attempt_at) FROM outbox WHERE state = 'queued' AND channel IN ({marks})",
        sorted(channels),
    ).fetchone()[0]


def rename_channel_alias(store: Store, alias: str, channel: str) -> int:
    """Replies to an identity learnt on another channel name "@kind"; bind them to a channel."""
    with store.write("hub:outbox") as tx:
        cur = tx.execute("UPDATE outbox SET channel = ? WHERE channel = ? AND state = 'queued'",
                         (channel, alias))
        tx.execute("UPDATE message SET channel = ? WHERE channel = ? AND kind = 'outbound'",
                   (channel, alias))
        return cur.rowcount


def load_outbound(store: Store, claimed: Claimed, attachments_dir: Path) -> Outbound:
    """Everything the channel needs, fixed before the first attempt."""
    conn = store.conn
    m = conn.execute(
        "SELECT m.id, m.conversation_id, m.text, m.subject, m.wire_id, m.reply_token, m.meta, "
        "m.created_at, i.kind, i.address, coalesce(a.name, 'Support') FROM message m "
        "JOIN identity i ON i.id = m.identity_id LEFT JOIN agent a ON a.id = m.agent_id "
        "WHERE m.id = ?", (claimed.message_id,)).fetchone()
    meta = json.loads(m[6] or "{}")
    # The bytes come along where the store keeps them (PostgreSQL: the hub may be on another
    # host than the console that attached them); a SQLite store's are files at `path`.
    atts = tuple(
        OutboundAttachment(blob_path(attachments_dir, r[3]), r[0], r[1], r[2],
                           None if r[4] is None else bytes(r[4]))
        for r in conn.execute(
            "SELECT a.filename, a.content_type, a.size, a.sha256, b.data FROM attachment a "
            "LEFT JOIN attachment_blob b ON b.sha256 = a.sha256 WHERE a.message_id = ? "
            "AND a.sha256 IS NOT NULL ORDER BY a.id", (claimed.message_id,))
    )
    return Outbound(
        message_id=m[0], channel=claimed.channel, kind=m[8], address=m[9], text=m[2],
        agent_name=m[10], created_at=from_epoch(m[7]),  # type: ignore[arg-type]
        conversation_id=m[1], subject=m[3], wire_id=m[4],
        in_reply_to=meta.get("in_reply_to"), references=tuple(meta.get("references", ())),
        reply_token=m[5], attachments=atts, automatic=bool(meta.get("automatic")),
        attempt=claimed.attempts, after_ambiguous=claimed.ambiguous, meta=meta,
    )


Loaded = tuple[Claimed, Outbound | Exception]


def claim_loaded(store: Store, channels: set[str], limit: int,
                 attachments_dir: Path) -> list[Loaded]:
    """`claim_due`, each with its `load_outbound` (or the error reading it raised), in one call:
    the hub makes one trip to its database thread, which under a busy chat waits behind the
    commits queued before it."""
    loaded: list[Loaded] = []
    for item in claim_due(store, channels, limit):
        try:
            loaded.append((item, load_outbound(store, item, attachments_dir)))
        except Exception as exc:  # the hub raises it when this reply's turn comes
            loaded.append((item, exc))
    return loaded


def fix_wire_id(store: Store, claimed: Claimed, wire_id: str) -> str:
    """Store the wire identity a channel chose for a reply queued without one (an email's
    Message-ID, in the sending channel's own domain), before the first attempt; the identity
    that is stored, which a row that already has one keeps."""
    with store.write("hub:outbox") as tx:
        tx.execute("UPDATE message SET wire_id = ? WHERE id = ? AND wire_id IS NULL",
                   (wire_id, claimed.message_id))
        return str(tx.scalar("SELECT wire_id FROM message WHERE id = ?", (claimed.message_id,)))


def _delivery_event(tx: Tx, message_id: int, state: str, **data: object) -> None:
    row = tx.one("SELECT conversation_id, customer_id FROM message WHERE id = ?", (message_id,))
    tx.event("delivery", conversation_id=row[0] if row else None,
             customer_id=row[1] if row else None, message_id=message_id, state=state, **data)


def mark_sent(store: Store, claimed: Claimed, *, wire_id: str | None = None,
              delivered: bool = False) -> None:
    state = "delivered" if delivered else "sent"
    with store.write(f"channel:{claimed.channel}") as tx:
        tx.execute("UPDATE outbox SET state = 'sent', last_error = NULL WHERE id = ?",
                   (claimed.outbox_id,))
        tx.execute(
            "UPDATE message SET delivery_state = CASE WHEN delivery_state = 'delivered' "
            "THEN 'delivered' ELSE ? END, sent_at = ?, wire_id = coalesce(?, wire_id) "
            "WHERE id = ?", (state, tx.now, wire_id, claimed.message_id))
        _delivery_event(tx, claimed.message_id, state)


def mark_delivered(store: Store, message_id: int, actor: str) -> bool:
    """The customer's client has it. Only outbound messages move; repeats are harmless."""
    with store.write(actor) as tx:
        cur = tx.execute(
            "UPDATE message SET delivery_state = 'delivered' WHERE id = ? AND kind = 'outbound' "
            "AND delivery_state IN ('queued', 'sending', 'sent')", (message_id,))
        if cur.rowcount:
            tx.execute("UPDATE outbox SET state = 'sent' WHERE message_id = ?", (message_id,))
            _delivery_event(tx, message_id, "delivered")
        return bool(cur.rowcount)


def retry_later(store: Store, claimed: Claimed, error: str, *, after: float | None = None,
                ambiguous: bool = False) -> float:
    """Put a claimed row back in the queue; gives up (failed) after MAX_ATTEMPTS."""
    error = clean_line(error) or "unknown error"
    if claimed.attempts >= MAX_ATTEMPTS:
        mark_failed(store, claimed, f"gave up after {claimed.attempts} attempts: {error}")
        return 0.0
    delay = after if after is not None else backoff(claimed.attempts)
    with store.write(f"channel:{claimed.channel}") as tx:
        tx.execute(
            "UPDATE outbox SET state = 'queued', next_attempt_at = ?, last_error = ?, "
            f"ambiguous = {tx.sql.larger('ambiguous', '?')} WHERE id = ?",
            (tx.now + delay, error, ambiguous, claimed.outbox_id))
        tx.execute("UPDATE message SET delivery_state = 'queued', failure_reason = ? WHERE id = ?",
                   (f"retrying in {delay:.0f} s: {error}", claimed.message_id))
        _delivery_event(tx, claimed.message_id, "queued", retry_in=delay, error=error)
    return delay


def mark_failed(store: Store, claimed: Claimed, reason: str) -> None:
    reason = clean_line(reason) or "failed"
    with store.write(f"channel:{claimed.channel}") as tx:
        tx.execute("UPDATE outbox SET state = 'failed', last_error = ? WHERE id = ?",
                   (reason, claimed.outbox_id))
        tx.execute("UPDATE message SET delivery_state = 'failed', failure_reason = ? WHERE id = ?",
                   (reason, claimed.message_id))
        _delivery_event(tx, claimed.message_id, "failed", reason=reason)


def recover_interrupted(store: Store, channel: str, policy: ResendPolicy) -> int:
    """Settle rows a crash left in "sending", by the channel's policy (see module doc)."""
    with store.write("hub:outbox") as tx:
        rows = tx.all("SELECT id, message_id, ambiguous FROM outbox WHERE state = 'sending' "
                      "AND channel = ?", (channel,))
        for outbox_id, message_id, ambiguous in rows:
            if policy == "resend" or (policy == "resend_once" and not ambiguous):
                tx.execute("UPDATE outbox SET state = 'queued', next_attempt_at = ?, "
                           "ambiguous = ? WHERE id = ?",
                           (tx.now, policy == "resend_once", outbox_id))
                tx.execute("UPDATE message SET delivery_state = 'queued' WHERE id = ?",
                           (message_id,))
            else:
                reason = ("interrupted while sending and may have arrived; not resent twice"
                          if ambiguous else "interrupted while sending; not resent")
                tx.execute("UPDATE outbox SET state = 'failed', last_error = ? WHERE id = ?",
                           (reason, outbox_id))
                tx.execute("UPDATE message SET delivery_state = 'failed', failure_reason = ? "
                           "WHERE id = ?", (reason, message_id))
                _delivery_event(tx, message_id, "failed", reason=reason)
    return len(rows)
