"""Agent actions on conversations. Each is one transaction that appends one event row.

Everything a console or the CLI changes goes through here, so the audit log and the change feed
see every action the same way whoever made it.
"""

from __future__ import annotations

import json
from datetime import datetime

from omnitui.core.agents import AgentRow, get_agent
from omnitui.core.clock import to_epoch
from omnitui.core.errors import ActionError, NotFound
from omnitui.core.permissions import agent_write
from omnitui.core.reply import QueuedReply, mark_read_in, queue_reply_in, reply
from omnitui.core.sanitize import clean_line, clean_text
from omnitui.core.undo import UNDO_GRACE, UNDO_WINDOW
from omnitui.store.db import Store, Tx

__all__ = [
    "QueuedReply",
    "assign",
    "label",
    "log_call",
    "mark_read",
    "merge_conversations",
    "note",
    "record_rating",
    "reopen",
    "reply",
    "resolve",
    "set_pending",
    "set_presence",
    "snooze",
    "transfer",
    "wake_snoozed",
]

STATUSES = ("open", "pending", "snoozed", "resolved")


def _conv(tx: Tx, conversation_id: int):  # type: ignore[no-untyped-def]
    row = tx.one(
        "SELECT id, customer_id, status, assignee_id, merged_into FROM conversation WHERE id = ?",
        (conversation_id,),
    )
    if row is None:
        raise NotFound(f"There is no conversation {conversation_id}.")
    return row


def _add_message(
    tx: Tx, conv, kind: str, text: str, agent: AgentRow, meta: dict | None = None  # type: ignore[no-untyped-def]
) -> int:
    message_id = tx.insert(
        "message",
        {
            "conversation_id": conv["id"],
            "customer_id": conv["customer_id"],
            "kind": kind,
            "agent_id": agent.id,
            "text": text,
            "meta": json.dumps(meta, ensure_ascii=False) if meta else "{}",
            "created_at": tx.now,
        },
    )
    tx.execute(
        "UPDATE conversation SET last_message_at = ?, last_message_id = ?, "
        "message_count = message_count + 1 WHERE id = ?",
        (tx.now, message_id, conv["id"]),
    )
    return message_id


def note(store: Store, conversation_id: int, text: str, agent: AgentRow) -> int:
    """A private note: agents see it in the timeline, the customer never does."""
    text = clean_text(text).strip()
    if not text:
        raise ActionError("A note needs some text.")
    with agent_write(store, agent) as tx:
        conv = _conv(tx, conversation_id)
        message_id = _add_message(tx, conv, "note", text, agent)
        mark_read_in(tx, conversation_id, agent.id, message_id)
        tx.event("note", conversation_id=conversation_id, customer_id=conv["customer_id"],
                 message_id=message_id)
    return message_id


def log_call(store: Store, conversation_id: int, text: str, agent: AgentRow,
             *, medium: str = "phone", phone: str | None = None,
             phone_region: str | None = None) -> int:
    """A phone call or shop visit typed in by the agent, kept in the timeline like a message.
    `phone`: the caller's number, which becomes a phone identity of the customer (refused in one
    sentence, and nothing logged, when it is not a number or is another customer's)."""
    text = clean_text(text).strip()
    if not text:
        raise ActionError("Describe the call in a few words.")
    with agent_write(store, agent) as tx:
        conv = _conv(tx, conversation_id)
        meta: dict[str, object] = {"medium": medium}
        if phone:
            from omnitui.core.added_identities import add_identity_in

            meta["phone"] = clean_line(phone)
            meta["identity"] = add_identity_in(tx, conv["customer_id"], "phone", phone,
                                               phone_region=phone_region)[0]
        message_id = _add_message(tx, conv, "call", text, agent, meta)
        tx.event("call", conversation_id=conversation_id, customer_id=conv["customer_id"],
                 message_id=message_id, medium=medium)
    return message_id


def transfer(
    store: Store,
    conversation_id: int,
    to_username: str,
    note_text: str,
    agent: AgentRow,
    *,
    tell_customer: bool = False,
) -> int:
    """Hand a conversation over with a warm note, pinned for the new owner, who sees it unread.

    Returns the id of the `transfer` event (what `core.undo.undo` takes)."""
    note_text = clean_text(note_text).strip()
    if not note_text:
        raise ActionError("A transfer needs a note, so the customer never repeats themselves.")
    target = get_agent(store, to_username)
    if target.id == agent.id:
        raise ActionError("You cannot transfer a conversation to yourself.")
    with agent_write(store, agent) as tx:
        conv = _conv(tx, conversation_id)
        before = _transfer_before(tx, conversation_id, target.id)
        message_id = _add_message(
            tx, conv, "transfer", note_text, agent,
            {"from": agent.username, "to": target.username, "from_name": agent.name,
             "to_name": target.name},
        )
        tx.execute(
            "UPDATE conversation SET assignee_id = ?, transfer_message_id = ?, "
            "status = CASE WHEN status = 'resolved' THEN 'open' ELSE status END WHERE id = ?",
            (target.id, message_id, conversation_id),
        )
        # Unread for the new owner; the previous owner keeps reading as before.
        tx.execute(
            "INSERT INTO conversation_read (conversation_id, agent_id, last_read_message_id) "
            "VALUES (?, ?, 0) ON CONFLICT(conversation_id, agent_id) DO UPDATE SET "
            "last_read_message_id = 0",
            (conversation_id, target.id),
        )
        mark_read_in(tx, conversation_id, agent.id, message_id)
        notice = None
        if tell_customer:  # leaves once the transfer can no longer be undone
            notice = queue_reply_in(
                tx, conversation_id,
                clean_text(f"{target.name} is taking over and has the whole story."), agent,
                automatic=True, not_before=tx.now + UNDO_WINDOW + UNDO_GRACE).message_id
        return tx.event("transfer", conversation_id=conversation_id,
                        customer_id=conv["customer_id"], message_id=message_id,
                        to=target.username, before=before, notice=notice,
                        **{"from": agent.username})


def _transfer_before(tx: Tx, conversation_id: int, target_id: int) -> dict[str, object]:
    """What a transfer changes, recorded in its event so that an undo can put it back."""
    row = tx.one("SELECT status, assignee_id, transfer_message_id FROM conversation "
                 "WHERE id = ?", (conversation_id,))
    read = tx.scalar("SELECT last_read_message_id FROM conversation_read "
                     "WHERE conversation_id = ? AND agent_id = ?", (conversation_id, target_id))
    return {"status": row["status"], "assignee_id": row["assignee_id"],
            "transfer_message_id": row["transfer_message_id"], "target_read": read}


def assign(store: Store, conversation_id: int, to_username: str | None, agent: AgentRow) -> int:
    """Give the conversation to an agent (None: to nobody); returns the `assign` event's id."""
    target = get_agent(store, to_username) if to_username else None
    with agent_write(store, agent) as tx:
        return assign_in(tx, conversation_id, target)


def assign_in(tx: Tx, conversation_id: int, target: AgentRow | None) -> int:
    """`assign` inside the caller's checked write (bulk actions change many in one)."""
    conv = _conv(tx, conversation_id)
    tx.execute("UPDATE conversation SET assignee_id = ? WHERE id = ?",
               (target.id if target else None, conversation_id))
    return tx.event("assign", conversation_id=conversation_id,
                    customer_id=conv["customer_id"], to=target.username if target else None,
                    previous_id=conv["assignee_id"])


# The columns a status change rewrites; its event keeps their values before, for an undo.
STATUS_COLUMNS = ("status", "snoozed_until", "snooze_until_reply", "resolved_at", "reopen_count",
                  "transfer_message_id", "waiting_since", "due_at")


def _set_status(store: Store, conversation_id: int, status: str, agent: AgentRow,
                until: float | None = None, until_reply: bool = False) -> int:
    with agent_write(store, agent) as tx:
        return status_in(tx, conversation_id, status, until, until_reply)


def status_in(tx: Tx, conversation_id: int, status: str, until: float | None = None,
              until_reply: bool = False) -> int:
    """A status change inside the caller's checked write; returns its event's id."""
    conv = _conv(tx, conversation_id)
    if conv["merged_into"] is not None:
        raise ActionError(f"Conversation {conversation_id} was merged into "
                          f"{conv['merged_into']}.")
    previous = conv["status"]
    row = tx.one(f"SELECT {', '.join(STATUS_COLUMNS)} FROM conversation WHERE id = ?",
                 (conversation_id,))
    before = {name: row[name] for name in STATUS_COLUMNS}
    tx.execute(
        "UPDATE conversation SET status = ?, snoozed_until = ?, snooze_until_reply = ?, "
        "resolved_at = CASE WHEN ? = 'resolved' THEN ? ELSE resolved_at END, "
        "reopen_count = reopen_count + (CASE WHEN status = 'resolved' AND ? = 'open' "
        "THEN 1 ELSE 0 END), "
        "transfer_message_id = CASE WHEN ? = 'resolved' THEN NULL "
        "ELSE transfer_message_id END, "
        # A resolved conversation waits for nobody: it sorts by recency in the inbox.
        "waiting_since = CASE WHEN ? = 'resolved' THEN NULL ELSE waiting_since END, "
        "due_at = CASE WHEN ? = 'resolved' THEN NULL ELSE due_at END WHERE id = ?",
        (status, until, until_reply, status, tx.now, status, status, status, status,
         conversation_id),
    )
    return tx.event("status", conversation_id=conversation_id,
                    customer_id=conv["customer_id"], status=status, previous=previous,
                    until=until, until_reply=until_reply, before=before)


def resolve(store: Store, conversation_id: int, agent: AgentRow) -> int:
    """Returns the `status` event's id, as every status change does (for `core.undo`)."""
    return _set_status(store, conversation_id, "resolved", agent)


def reopen(store: Store, conversation_id: int, agent: AgentRow) -> int:
    return _set_status(store, conversation_id, "open", agent)


def set_pending(store: Store, conversation_id: int, agent: AgentRow) -> int:
    """Waiting on the customer: SLA clocks pause, the next customer message reopens it."""
    return _set_status(store, conversation_id, "pending", agent)


def snooze(store: Store, conversation_id: int, agent: AgentRow, *,
           until: datetime | None = None, until_reply: bool = False) -> int:
    """Hide until a time, or until the customer's next message (or whichever comes first)."""
    if until is None and not until_reply:
        raise ActionError("Snooze needs a time (--until) or 'until the next reply'.")
    return _set_status(store, conversation_id, "snoozed", agent, to_epoch(until), until_reply)


def wake_snoozed(store: Store, now: float | None = None) -> list[int]:
    """Reopen conversations whose snooze time has come (the hub's timer calls this)."""
    with store.write("hub:timer") as tx:
        at = now if now is not None else tx.now
        rows = tx.all(
            "SELECT id, customer_id FROM conversation WHERE status = 'snoozed' "
            "AND snoozed_until IS NOT NULL AND snoozed_until <= ?",
            (at,),
        )
        for row in rows:
            tx.execute("UPDATE conversation SET status = 'open', snoozed_until = NULL, "
                       "snooze_until_reply = 0 WHERE id = ?", (row[0],))
            tx.event("status", conversation_id=row[0], customer_id=row[1], status="open",
                     previous="snoozed", woke=True)
    return [r[0] for r in rows]


def label(store: Store, conversation_id: int, name: str, agent: AgentRow,
          *, remove: bool = False) -> int:
    """Add (or remove) a label; returns the `label`/`unlabel` event's id."""
    name = (clean_line(name) or "").strip().lower()
    if not name:
        raise ActionError("A label needs a name.")
    with agent_write(store, agent) as tx:
        return label_in(tx, conversation_id, name, remove=remove)


def label_in(tx: Tx, conversation_id: int, name: str, *, remove: bool = False) -> int:
    """`label` inside the caller's checked write, `name` already cleaned."""
    conv = _conv(tx, conversation_id)
    tx.execute("INSERT INTO label (name) VALUES (?) ON CONFLICT DO NOTHING", (name,))
    label_id = tx.scalar("SELECT id FROM label WHERE name = ?", (name,))
    had = tx.one("SELECT 1 FROM conversation_label WHERE conversation_id = ? AND "
                 "label_id = ?", (conversation_id, label_id)) is not None
    if remove:
        tx.execute("DELETE FROM conversation_label WHERE conversation_id = ? AND label_id = ?",
                   (conversation_id, label_id))
    else:
        tx.execute("INSERT INTO conversation_label VALUES (?, ?) ON CONFLICT DO NOTHING",
                   (conversation_id, label_id))
    return tx.event("unlabel" if remove else "label", conversation_id=conversation_id,
                    customer_id=conv["customer_id"], label=name, had=had)


_UNREAD = ("SELECT m.last FROM (SELECT max(id) AS last FROM message WHERE conversation_id = ?) m "
           "WHERE m.last > coalesce((SELECT last_read_message_id FROM conversation_read "
           "WHERE conversation_id = ? AND agent_id = ?), 0)")


def mark_read(store: Store, conversation_id: int, agent: AgentRow) -> bool:
    """Mark the conversation read up to its newest message; False if it already was.

    Every console of an agent marks the same new message, and each write wakes every console
    and the hub: so look first without the write lock, and write only what is still unread.
    """
    args = (conversation_id, conversation_id, agent.id)
    if store.conn.execute(_UNREAD, args).fetchone() is None:
        return False
    with store.write(agent.username) as tx:
        last = tx.scalar(_UNREAD, args)
        if last is None:  # another console of the same agent was quicker
            return False
        mark_read_in(tx, conversation_id, agent.id, last)
        tx.event("read", conversation_id=conversation_id, last=last)
    return True


def set_presence(store: Store, agent: AgentRow, conversation_id: int | None,
                 *, typing: bool = False) -> None:
    """Who is looking at (or typing in) which conversation; consoles show it to each other."""
    with store.write(agent.username) as tx:
        tx.execute(
            "INSERT INTO presence (agent_id, conversation_id, typing, updated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT(agent_id) DO UPDATE SET "
            "conversation_id = excluded.conversation_id, typing = excluded.typing, "
            "updated_at = excluded.updated_at",
            (agent.id, conversation_id, typing, tx.now),
        )
        tx.event("presence", conversation_id=conversation_id, agent=agent.username,
                 typing=typing)


def record_rating(store: Store, conversation_id: int, score: int, comment: str | None = None,
                  *, actor: str = "customer") -> None:
    if not 1 <= score <= 5:
        raise ActionError("A rating is a whole number from 1 to 5.")
    with store.write(actor) as tx:
        conv = _conv(tx, conversation_id)
        comment = clean_text(comment) if comment else None
        tx.execute("UPDATE conversation SET rating = ?, rating_comment = ? WHERE id = ?",
                   (score, comment, conversation_id))
        tx.event("rating", conversation_id=conversation_id, customer_id=conv["customer_id"],
                 score=score, **({"comment": comment} if comment else {}))


def merge_conversations(store: Store, target_id: int, source_id: int, agent: AgentRow) -> None:
    """Fold `source` into `target` (same customer): its messages move, it is marked merged."""
    if target_id == source_id:
        raise ActionError("A conversation cannot be merged into itself.")
    with agent_write(store, agent) as tx:
        target = _conv(tx, target_id)
        source = _conv(tx, source_id)
        if target["customer_id"] != source["customer_id"]:
            raise ActionError("Only conversations of the same customer can be merged; "
                              "merge the customers first.")
        moved = [r[0] for r in tx.all("SELECT id FROM message WHERE conversation_id = ?",
                                      (source_id,))]
        tx.execute("UPDATE message SET conversation_id = ? WHERE conversation_id = ?",
                   (target_id, source_id))
        larger, smaller = tx.sql.larger, tx.sql.smaller
        tx.execute(
            "UPDATE conversation SET message_count = (SELECT count(*) FROM message WHERE "
            "conversation_id = ?), last_message_id = (SELECT max(id) FROM message WHERE "
            "conversation_id = ?), last_message_at = "
            + larger("last_message_at", "(SELECT last_message_at FROM conversation WHERE id = ?)")
            + ", waiting_since = "
            + smaller("coalesce(waiting_since, 1e18)",
                      "coalesce((SELECT waiting_since FROM conversation WHERE id = ?), 1e18)")
            + " WHERE id = ?",
            (target_id, target_id, source_id, source_id, target_id),
        )
        tx.execute("UPDATE conversation SET waiting_since = NULL WHERE id = ? AND "
                   "waiting_since >= 1e18", (target_id,))
        tx.execute("UPDATE conversation SET merged_into = ?, status = 'resolved', "
                   "message_count = 0, waiting_since = NULL WHERE id = ?", (target_id, source_id))
        tx.event("conversation_merged", conversation_id=target_id,
                 customer_id=target["customer_id"], source=source_id, messages=moved)
