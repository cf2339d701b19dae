"""Messages as the timeline shows them: the message rows alone, then what dresses them.

A timeline page is 500 messages of one customer. Joining each row to its author (agent,
identity, customer) and asking per row for its newest edit made PostgreSQL probe four indexes
500 times and send the same names 500 times; here the page is read from the message table alone
(the `(customer_id, id)` index gives it in order), and three small statements add the rest for
the whole page at once: the few distinct authors' names, the edits and the attachments. The
page's messages are named in those statements by the same condition that chose them (a range of
the customer's ids, a conversation), not by a list of 500 ids, which psycopg would have to turn
into an array value each time.

No snapshot is needed across the statements: a message's attachments are stored in the same
transaction as the message, and an edit or a renamed agent that commits in between is simply
shown a moment sooner.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from omnitui.store.db import Store


@dataclass(slots=True)  # not frozen: a frozen __init__ costs 4 µs a row, 2 ms a timeline
class MessageRow:
    id: int
    conversation_id: int
    kind: str
    channel: str | None
    author: str  # customer name or agent name
    text: str
    subject: str | None
    created_at: float
    delivery_state: str | None
    failure_reason: str | None
    flags: tuple[str, ...]
    edited: bool
    quoted_text: str | None
    meta: dict[str, Any]
    attachments: tuple[dict[str, Any], ...] = ()


_COLUMNS = (
    "SELECT m.id, m.conversation_id, m.customer_id, m.agent_id, m.identity_id, m.kind, "
    "m.channel, m.text, m.subject, m.created_at, m.delivery_state, m.failure_reason, m.flags, "
    "m.quoted_text, m.meta FROM message m "
)
_CUSTOMER_PAGE = "m.customer_id = ? AND m.id BETWEEN ? AND ?"


def customer_timeline(
    store: Store, customer_id: int, *, limit: int = 500, before_id: int | None = None
) -> list[MessageRow]:
    """The customer's whole history across channels and conversations, oldest first: the
    newest `limit` messages before `before_id`."""
    rows = store.conn.execute(
        _COLUMNS + "WHERE m.customer_id = ? AND m.id < ? ORDER BY m.id DESC LIMIT ?",
        (customer_id, before_id or 2**62, limit),
    ).fetchall()
    if not rows:
        return []
    rows.reverse()
    return _dressed(store, rows, _CUSTOMER_PAGE, (customer_id, rows[0][0], rows[-1][0]))


def conversation_messages(store: Store, conversation_id: int) -> list[MessageRow]:
    """One conversation's messages, oldest first."""
    rows = store.conn.execute(
        _COLUMNS + "WHERE m.conversation_id = ? ORDER BY m.id", (conversation_id,)
    ).fetchall()
    return _dressed(store, rows, "m.conversation_id = ?", (conversation_id,)) if rows else []


def one_message(store: Store, message_id: int) -> MessageRow | None:
    rows = store.conn.execute(_COLUMNS + "WHERE m.id = ?", (message_id,)).fetchall()
    return _dressed(store, rows, "m.id = ?", (message_id,))[0] if rows else None


def _dressed(store: Store, rows: list[Any], among: str,
             params: tuple[Any, ...]) -> list[MessageRow]:
    """`rows` (read with `_COLUMNS`) as `MessageRow`s; `among` + `params`: the condition on
    `message m` that chose them, to read their edits and attachments by."""
    agents, identities, customers = _author_names(store, rows)
    edits = _newest_edits(store, among, params)
    files = _attachments(store, among, params)
    out: list[MessageRow] = []
    for (message_id, conversation_id, customer_id, agent_id, identity_id, kind, channel, text,
         subject, created_at, state, reason, flags, quoted, meta) in rows:
        edit = edits.get(message_id)
        out.append(MessageRow(
            message_id,
            conversation_id,
            kind,
            channel,
            agents.get(agent_id) or identities.get(identity_id) or customers.get(customer_id)
            or "",
            text if edit is None else edit,
            subject,
            created_at,
            state,
            reason,
            tuple(flags.split()) if flags else (),
            edit is not None,
            quoted,
            json.loads(meta) if meta and meta != "{}" else {},
            tuple(files.get(message_id, ())),
        ))
    return out


_AUTHORS = (("agent", "name", 3), ("identity", "display_name", 4), ("customer", "name", 2))


def _author_names(store: Store, rows: list[Any]) -> list[dict[int, str | None]]:
    """The names of the agents, identities and customers (in that order) `rows` were written
    by or to: a message shows its agent's name, else its identity's, else its customer's."""
    parts: list[str] = []
    params: list[Any] = []
    columns = list(zip(*rows, strict=True))  # (a row's index lookups run in Python on PostgreSQL)
    for table, name, index in _AUTHORS:
        ids = sorted(set(columns[index]) - {None})
        if ids:
            among, values = store.sql.one_of("id", ids)
            parts.append(f"SELECT '{table}', id, {name} FROM {table} WHERE {among}")
            params += values
    names: dict[str, dict[int, str | None]] = {table: {} for table, _, _ in _AUTHORS}
    for table, id_, name in store.conn.execute(" UNION ALL ".join(parts), params):
        names[table][id_] = name
    return list(names.values())


def _newest_edits(store: Store, among: str, params: tuple[Any, ...]) -> dict[int, str]:
    """Each edited message's newest text (the original stays in `message`)."""
    return {message_id: text for message_id, text in store.conn.execute(
        "SELECT r.message_id, r.text FROM message_revision r JOIN message m ON "
        f"m.id = r.message_id WHERE {among} ORDER BY r.id", params)}


def _attachments(store: Store, among: str,
                 params: tuple[Any, ...]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    for message_id, filename, content_type, size, sha256, note in store.conn.execute(
        "SELECT a.message_id, a.filename, a.content_type, a.size, a.sha256, a.note "
        f"FROM attachment a JOIN message m ON m.id = a.message_id WHERE {among} ORDER BY a.id",
        params,
    ):
        found.setdefault(message_id, []).append(
            {"filename": filename, "content_type": content_type, "size": size,
             "sha256": sha256, "note": note})
    return found
