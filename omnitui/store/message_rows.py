"""Messages as the timeline shows them: the message rows alone, then what dresses them.

A timeline page is 500 messages of one customer. Joining each row to its author (agent,
identity, customer) and asking per row for its newest edit made PostgreSQL probe four indexes
500 times and send the same names 500 times; here the page is read from the message table alone
(the `(customer_id, id)` index gives it in order), and one more statement adds the rest for the
whole page at once: the few distinct authors' names, the edits and the attachments. The page's
messages are named there by the same condition that chose them (a range of the customer's ids, a
conversation), not by a list of 500 ids, which psycopg would have to turn into an array value
each time.

No snapshot is needed across the two statements: a message's attachments are stored in the
same transaction as the message, and an edit or a renamed agent that commits in between is
simply shown a moment sooner.
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


def customer_timeline(
    store: Store, customer_id: int, *, limit: int = 500, before_id: int | None = None
) -> list[MessageRow]:
    """The customer's whole history across channels and conversations, oldest first: the
    newest `limit` messages before `before_id`."""
    rows = store.conn.execute(
        _COLUMNS + "WHERE m.customer_id = ? AND m.id < ? ORDER BY m.id DESC LIMIT ?",
        (customer_id, before_id or 2**62, limit),
    ).fetchall()
    rows.reverse()
    return _customer_page(store, customer_id, rows)


def customer_messages_after(store: Store, customer_id: int, after_id: int, *,
                            limit: int = 500) -> list[MessageRow]:
    """The customer's messages after `after_id`, oldest first (what a shown timeline lacks)."""
    rows = store.conn.execute(
        _COLUMNS + "WHERE m.customer_id = ? AND m.id > ? ORDER BY m.id LIMIT ?",
        (customer_id, after_id, limit),
    ).fetchall()
    return _customer_page(store, customer_id, rows)


def _customer_page(store: Store, customer_id: int, rows: list[Any]) -> list[MessageRow]:
    """`rows`: a run of the customer's messages in id order, named by its first and last id."""
    if not rows:
        return []
    return _dressed(store, rows, "m.customer_id = ? AND m.id BETWEEN ? AND ?",
                    (customer_id, rows[0][0], rows[-1][0]))


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
    agents, identities, customers, edits, files = _page_extras(store, rows, among, params)
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


# What dresses a page, in one statement (one round trip to PostgreSQL, where each console
# reads the new messages of every chat line): the names of its few distinct authors (a message
# shows its agent's name, else its identity's, else its customer's), each edited message's
# edits and each message's attachments. Every part has the same eight columns: what it is, the
# id it belongs to, up to five values, and the order within (edits and files in id order).
_AUTHORS = (("agent", "name", 3), ("identity", "display_name", 4), ("customer", "name", 2))
_EDITS = ("SELECT 'edit', r.message_id, r.text, NULL, NULL, NULL, NULL, r.id "
          "FROM message_revision r JOIN message m ON m.id = r.message_id WHERE {among}")
_FILES = ("SELECT 'file', a.message_id, a.filename, a.content_type, a.size, a.sha256, a.note, "
          "a.id FROM attachment a JOIN message m ON m.id = a.message_id WHERE {among}")


def _page_extras(store: Store, rows: list[Any], among: str, params: tuple[Any, ...]) -> tuple[
        dict[int, str], dict[int, str], dict[int, str], dict[int, str],
        dict[int, list[dict[str, Any]]]]:
    """(agents' names, identities' names, customers' names, newest edit texts, attachments)."""
    # (files first: PostgreSQL types a union's columns pair by pair from the left, and a
    # column of NULLs on both sides of the first pair would be taken as text)
    parts = [_FILES.format(among=among), _EDITS.format(among=among)]
    values: list[Any] = [*params, *params]
    columns = list(zip(*rows, strict=True))  # (a row's index lookups run in Python on PostgreSQL)
    for table, name, index in _AUTHORS:
        ids = sorted(set(columns[index]) - {None})
        if ids:
            condition, ids_values = store.sql.one_of("id", ids)
            parts.append(f"SELECT '{table}', id, {name}, NULL, NULL, NULL, NULL, 0 "
                         f"FROM {table} WHERE {condition}")
            values += ids_values
    names: dict[str, dict[int, str]] = {table: {} for table, _, _ in _AUTHORS}
    edits: dict[int, str] = {}
    files: dict[int, list[dict[str, Any]]] = {}
    for what, key, text, content_type, size, sha256, note, _ in store.conn.execute(
            " UNION ALL ".join(parts) + " ORDER BY 8", values):
        if what == "edit":
            edits[key] = text  # (in id order: the newest is the last)
        elif what == "file":
            files.setdefault(key, []).append(
                {"filename": text, "content_type": content_type, "size": size,
                 "sha256": sha256, "note": note})
        elif text is not None:
            names[what][key] = text
    return names["agent"], names["identity"], names["customer"], edits, files
