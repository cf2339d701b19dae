"""Rerouting a reply to another channel of the same customer (issue 7, after-hours chat).

An agent answers a chat next morning; the visitor left last night. A chat reply would wait for a
`hello` that may never come, so the chat channel raises `Reroute("email")` and the hub calls
`reroute`: in one transaction the chat message is marked not delivered with the reason, and the
same text is queued as an email to the customer's email identity, in the same conversation. The
email is an ordinary reply (`core.reply`), so it gets a Message-ID and the conversation's reply
token; the email channel puts the token in Reply-To and the subject, and ingest routes the
customer's answer back into this conversation by that token.

Nothing is half-done: a crash before commit leaves the chat reply "sending", which the chat
channel's resend policy settles on restart; after commit both states are final together.
"""

from __future__ import annotations

import json

from omnitui.core.agents import AgentRow
from omnitui.core.reply import StoredFile, queue_reply_in
from omnitui.core.sanitize import clean_line
from omnitui.store.db import Store

DEFAULT_REASON = "visitor left; sent by email instead"


def reroute(store: Store, message_id: int, *, kind: str = "email",
            reason: str = DEFAULT_REASON, channel: str | None = None) -> int | None:
    """Queue outbound `message_id` again to the customer's `kind` identity; the new message id.

    None, and nothing changed, when the message is not an outbound reply still being sent, or
    the customer has no identity of that kind (then the caller keeps the original behaviour).
    `channel` names the configured channel to use when the identity was learnt elsewhere (an
    address typed in a chat has no email channel of its own yet).
    """
    reason = clean_line(reason) or DEFAULT_REASON
    with store.write("hub:reroute") as tx:
        msg = tx.one(
            "SELECT m.conversation_id, m.customer_id, m.text, m.meta, m.delivery_state, "
            "a.id, a.username, a.name, a.role, a.disabled FROM message m "
            "JOIN agent a ON a.id = m.agent_id WHERE m.id = ? AND m.kind = 'outbound'",
            (message_id,),
        )
        if msg is None or msg[4] not in ("queued", "sending"):
            return None
        conversation_id, customer_id, text, meta_json = msg[0], msg[1], msg[2], msg[3]
        identity = tx.scalar(
            "SELECT id FROM identity WHERE customer_id = ? AND kind = ? ORDER BY id DESC LIMIT 1",
            (customer_id, kind),
        )
        if identity is None:
            return None
        files = [StoredFile(r[0], r[1], r[2], r[3]) for r in tx.all(
            "SELECT filename, content_type, size, sha256 FROM attachment WHERE message_id = ? "
            "AND sha256 IS NOT NULL ORDER BY id", (message_id,))]
        agent = AgentRow(msg[5], msg[6], msg[7], msg[8], bool(msg[9]))
        queued = queue_reply_in(
            tx, conversation_id, text, agent, via_identity=identity, files=files,
            automatic=bool(json.loads(meta_json or "{}").get("automatic")),
            default_channel=channel)
        tx.execute("UPDATE outbox SET state = 'failed', last_error = ? WHERE message_id = ? "
                   "AND state IN ('queued', 'sending')", (reason, message_id))
        tx.execute("UPDATE message SET delivery_state = 'failed', failure_reason = ? "
                   "WHERE id = ?", (reason, message_id))
        # The same `delivery` event as `core.outbox` writes, naming where the text went.
        tx.event("delivery", conversation_id=conversation_id, customer_id=customer_id,
                 message_id=message_id, state="failed", reason=reason,
                 rerouted_to=queued.message_id, channel=queued.channel)
    return queued.message_id
