"""Queueing a reply: the message, its outbox row and its final wire identity in one transaction.

The hub delivers it later; consoles never touch the network. The channel is that of the
customer's latest inbound message unless the agent picks another identity of the same customer.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from omnitui.core.agents import AgentRow
from omnitui.core.errors import ActionError, NotFound, StaleConversation
from omnitui.core.outgoing_files import FileLimits, read_outgoing
from omnitui.core.permissions import agent_write
from omnitui.core.sanitize import clean_line, clean_text
from omnitui.core.signatures import Signing, signature_for_in, signed
from omnitui.store.db import Store, Tx
from omnitui.store.files import keep_blobs

MAX_REPLY_CHARS = 100_000


@dataclass(frozen=True, slots=True)
class StoredFile:
    """An attachment already in the content-addressed store (stashed, or copied from another
    message when a reply is rerouted)."""

    filename: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class QueuedReply:
    message_id: int
    conversation_id: int
    channel: str
    identity_id: int


def reply(
    store: Store,
    conversation_id: int,
    text: str,
    agent: AgentRow,
    *,
    via_identity: int | None = None,
    attachments: Sequence[Path] = (),
    attachments_dir: Path | None = None,
    file_limits: FileLimits | None = None,
    expect_last_inbound: int | None = None,
    automatic: bool = False,
    extra_meta: Mapping[str, object] | None = None,
    signing: Signing | None = None,
    signature: str | None = None,
) -> QueuedReply:
    """Queue `text` to the customer of `conversation_id`.

    `expect_last_inbound` is the newest inbound message id the agent had seen; if the customer
    wrote since, `StaleConversation` asks the caller to confirm. With `signing` the agent's
    signature for the reply's channel (or `signature`, edited for this reply; "" for none) and
    the channel's footer are added below the text.
    """
    text = clean_text(text).strip("\n")
    if not text.strip() and not attachments:
        raise ActionError("A reply needs some text or an attachment.")
    if len(text) > MAX_REPLY_CHARS:
        raise ActionError(f"A reply can be at most {MAX_REPLY_CHARS} characters.")
    # Files are checked and read first, checked against the limit of the channel the reply
    # leaves on inside the transaction, and their blobs written before it commits: a refused
    # file leaves nothing behind.
    limits = file_limits or FileLimits()
    outgoing = [read_outgoing(path, ceiling=limits.largest) for path in attachments]
    if outgoing and attachments_dir is None:
        raise ActionError("Attachments need a data directory to be stored in.")
    with agent_write(store, agent) as tx:
        queued = queue_reply_in(tx, conversation_id, text, agent, via_identity=via_identity,
                                files=[StoredFile(f.filename, f.content_type, f.size,
                                                  f.sha256) for f in outgoing],
                                expect_last_inbound=expect_last_inbound,
                                automatic=automatic, extra_meta=extra_meta, signing=signing,
                                signature=signature,
                                check_files=limits.checker(outgoing) if outgoing else None)
        if outgoing:
            keep_blobs(tx, attachments_dir, [f.data for f in outgoing])  # type: ignore[arg-type]
        return queued


def queue_reply_in(
    tx: Tx,
    conversation_id: int,
    text: str,
    agent: AgentRow,
    *,
    via_identity: int | None = None,
    files: Sequence[StoredFile] = (),
    expect_last_inbound: int | None = None,
    automatic: bool = False,
    default_channel: str | None = None,
    extra_meta: Mapping[str, object] | None = None,
    not_before: float | None = None,
    check_files: Callable[[str, str], None] | None = None,
    signing: Signing | None = None,
    signature: str | None = None,
    subject: str | None = None,
) -> QueuedReply:
    """The body of `reply` inside the caller's transaction, for work that must commit together
    with the queued reply (a chat reply rerouted to email). `text` is already clean.
    `default_channel` serves an identity learnt on another channel (no channel of its own).
    `extra_meta` is for the channel (a Telegram rating keyboard); it travels in Outbound.meta.
    `not_before`: the hub sends it no earlier (a notice that waits for an undo window).
    An email reply's Message-ID is not made here: the hub makes it from the sending channel's
    own address and stores it before the first attempt (`outbox.fix_wire_id`), so it is the
    same whichever process queued the reply. `subject`: an email's own subject (a conversation
    the agent starts), instead of "Re:" the conversation's."""
    conv = _conversation(tx, conversation_id)
    if expect_last_inbound is not None:
        newest = tx.scalar(
            "SELECT max(id) FROM message WHERE conversation_id = ? AND kind = 'inbound'",
            (conversation_id,),
        )
        if newest is not None and newest > expect_last_inbound:
            raise StaleConversation(
                "The customer wrote again while you were typing; read it, then send again."
            )
    identity = _pick_identity(tx, conv["customer_id"], via_identity, conversation_id)
    if default_channel and identity["channel"] in ("", f"@{identity['kind']}"):
        identity["channel"] = default_channel
    if check_files is not None:  # may refuse the files for this channel (a size limit)
        check_files(identity["channel"], identity["kind"])
    if signing is not None and not automatic:
        below = signature_for_in(tx, signing, agent, identity["channel"])
        own = below.signature if signature is None else clean_text(signature)
        text = signed(text, own, below.footer)
    parent = tx.one(
        "SELECT wire_id, meta, subject FROM message WHERE conversation_id = ? "
        "AND kind = 'inbound' AND channel = ? ORDER BY id DESC LIMIT 1",
        (conversation_id, identity["channel"]),
    )
    meta: dict[str, object] = {}
    token = None
    if identity["kind"] != "email":
        subject = None
    else:
        token = _reply_token(tx, conversation_id)
        subject = subject or _reply_subject(
            conv["subject"] or (parent["subject"] if parent else None))
        ours = parent is None
        if ours:  # a conversation the agent started: follow their own last mail
            parent = tx.one(
                "SELECT wire_id, meta, subject FROM message WHERE conversation_id = ? AND "
                "kind = 'outbound' AND channel = ? AND wire_id IS NOT NULL ORDER BY id DESC "
                "LIMIT 1", (conversation_id, identity["channel"]))
        if parent is not None and parent["wire_id"]:
            parent_refs = json.loads(parent["meta"] or "{}").get("references", [])
            meta["in_reply_to"] = parent["wire_id"]
            # References: oldest first, ending with the parent (RFC 5322 §3.6.4).
            oldest_first = parent_refs if ours else list(reversed(parent_refs))
            meta["references"] = [*oldest_first, parent["wire_id"]][-20:]
    if automatic:
        meta["automatic"] = True
    meta.update(extra_meta or {})
    message_id = tx.insert(
        "message",
        {
            "conversation_id": conversation_id,
            "customer_id": conv["customer_id"],
            "kind": "outbound",
            "channel": identity["channel"],
            "identity_id": identity["id"],
            "agent_id": agent.id,
            "subject": subject,
            "text": text,
            "delivery_state": "queued",
            "reply_token": token,
            "meta": json.dumps(meta) if meta else "{}",
            "created_at": tx.now,
        },
    )
    for file in files:
        tx.insert(
            "attachment",
            {
                "message_id": message_id,
                "filename": file.filename,
                "content_type": file.content_type,
                "size": file.size,
                "sha256": file.sha256,
            },
        )
    tx.insert(
        "outbox",
        {
            "message_id": message_id,
            "channel": identity["channel"],
            "state": "queued",
            "next_attempt_at": max(tx.now, not_before or tx.now),
            "created_at": tx.now,
        },
    )
    tx.execute(
        "UPDATE conversation SET last_message_at = ?, last_message_id = ?, "
        "message_count = message_count + 1, "
        # An automatic acknowledgement is not an answer: the customer is still waiting.
        "waiting_since = CASE WHEN ? THEN waiting_since ELSE NULL END, "
        "first_response_at = coalesce(first_response_at, ?), "
        "assignee_id = coalesce(assignee_id, ?), preview = ? WHERE id = ?",
        (
            tx.now,
            message_id,
            automatic,
            tx.now if not automatic else None,
            agent.id if not automatic else None,
            clean_line(text)[:200] if text else "",
            conversation_id,
        ),
    )
    mark_read_in(tx, conversation_id, agent.id, message_id)
    if not automatic:  # its opening identifies it when quoted from another address
        from omnitui.core.recognition import index_sent_reply

        index_sent_reply(tx, conv["customer_id"], text)
    tx.event(
        "message_out",
        conversation_id=conversation_id,
        customer_id=conv["customer_id"],
        message_id=message_id,
        channel=identity["channel"],
    )
    return QueuedReply(message_id, conversation_id, identity["channel"], identity["id"])


def target_identity_in(tx: Tx, conversation_id: int,
                       via_identity: int | None = None) -> dict[str, object]:
    """The identity (id, kind, address, channel) a reply to this conversation goes to now:
    what the composer names before the agent sends."""
    conv = _conversation(tx, conversation_id)
    return dict(_pick_identity(tx, conv["customer_id"], via_identity, conversation_id))


def _conversation(tx: Tx, conversation_id: int):  # type: ignore[no-untyped-def]
    conv = tx.one(
        "SELECT id, customer_id, subject, status, merged_into FROM conversation WHERE id = ?",
        (conversation_id,),
    )
    if conv is None:
        raise NotFound(f"There is no conversation {conversation_id}.")
    if conv["merged_into"] is not None:
        raise ActionError(
            f"Conversation {conversation_id} was merged into {conv['merged_into']}; reply there."
        )
    return conv


def _pick_identity(tx: Tx, customer_id: int, via: int | None,  # type: ignore[no-untyped-def]
                   conversation_id: int | None = None):
    if via is not None:
        row = tx.one(
            "SELECT id, kind, address, channel FROM identity WHERE id = ? AND customer_id = ?",
            (via, customer_id),
        )
        if row is None:
            raise ActionError(f"Identity {via} does not belong to this customer.")
        return _with_channel(tx, row)
    row = tx.one(
        "SELECT i.id, i.kind, i.address, i.channel FROM message m "
        "JOIN identity i ON i.id = m.identity_id "
        "WHERE m.customer_id = ? AND m.kind = 'inbound' ORDER BY m.id DESC LIMIT 1",
        (customer_id,),
    )
    if conversation_id is not None and not _has_inbound(tx, conversation_id):
        # A conversation the agent started, not answered yet: where it was started.
        row = tx.one(
            "SELECT i.id, i.kind, i.address, m.channel FROM message m JOIN identity i ON "
            "i.id = m.identity_id WHERE m.conversation_id = ? AND m.kind = 'outbound' "
            "ORDER BY m.id LIMIT 1", (conversation_id,)) or row
    if row is None:
        row = tx.one(
            "SELECT id, kind, address, channel FROM identity WHERE customer_id = ? "
            "ORDER BY id DESC LIMIT 1",
            (customer_id,),
        )
    if row is None:
        raise ActionError("This customer has no address to reply to.")
    return _with_channel(tx, row)


def _has_inbound(tx: Tx, conversation_id: int) -> bool:
    return tx.one("SELECT 1 FROM message WHERE conversation_id = ? AND kind = 'inbound' LIMIT 1",
                  (conversation_id,)) is not None


def _with_channel(tx: Tx, row):  # type: ignore[no-untyped-def]
    """An identity learnt on another channel (an email given in chat) has no channel yet: use
    the channel its kind was last heard on."""
    result = dict(row)
    if not result["channel"]:
        result["channel"] = (
            tx.scalar(
                "SELECT channel FROM identity WHERE kind = ? AND channel != '' "
                "ORDER BY id DESC LIMIT 1",
                (result["kind"],),
            )
            or f"@{result['kind']}"
        )
    return result


def _reply_token(tx: Tx, conversation_id: int) -> str:
    existing = tx.scalar(
        "SELECT reply_token FROM message WHERE conversation_id = ? AND reply_token IS NOT NULL "
        "ORDER BY id DESC LIMIT 1",
        (conversation_id,),
    )
    return existing or secrets.token_hex(8)


def _reply_subject(subject: str | None) -> str:
    if not subject:
        return "Re: your message"
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def mark_read_in(tx: Tx, conversation_id: int, agent_id: int, message_id: int | None) -> None:
    tx.execute(
        "INSERT INTO conversation_read (conversation_id, agent_id, last_read_message_id) "
        "VALUES (?, ?, ?) ON CONFLICT(conversation_id, agent_id) DO UPDATE SET "
        "last_read_message_id = " + tx.sql.larger("conversation_read.last_read_message_id",
                                                  "excluded.last_read_message_id"),
        (conversation_id, agent_id, message_id or 0),
    )
