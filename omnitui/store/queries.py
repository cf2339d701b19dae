"""Read models: what the console and the CLI show, each read in one snapshot.

The inbox is read a page at a time (LIMIT/OFFSET on an indexed order), never whole.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from omnitui.store.db import NotFound, Store
from omnitui.store.inbox_query import (  # noqa: F401  (the inbox's read model lives there)
    INBOX_ORDER,
    NEEDS_REPLY,
    InboxRow,
    InboxView,
    inbox_count,
    inbox_page,
)
from omnitui.store.message_rows import (  # noqa: F401  (messages are read there)
    MessageRow,
    conversation_messages,
    customer_messages_after,
    customer_timeline,
    one_message,
)
from omnitui.store.search_sql import (
    matching_customers,
    newest_matching_messages,
    search_query,
)


@dataclass(frozen=True, slots=True)
class ConversationDetail:
    id: int
    customer_id: int
    customer: str
    status: str
    channel: str
    subject: str | None
    assignee: str | None
    created_at: float
    last_message_at: float
    waiting_since: float | None
    due_at: float | None
    rating: int | None
    labels: tuple[str, ...]
    transfer_note: MessageRow | None
    merged_into: int | None
    identities: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    last_inbound_id: int | None = None
    # the identity the customer last wrote from, in any conversation: where a reply goes
    customer_last_identity: int | None = None


# A customer's identities; `linked_via` says how each joined (None: on its own), and
# `has_written` whether the customer wrote to the shop from it (asked of linked ones only,
# through the customer's own messages). `{customer}`: the customer's id, a parameter or a column.
IDENTITY_COLUMNS = ("id", "kind", "address", "channel", "display_name", "linked_via",
                    "has_written")
IDENTITIES = (
    "SELECT i.id, i.kind, i.address, i.channel, i.display_name, i.linked_via, "
    "i.linked_via IS NOT NULL AND EXISTS (SELECT 1 FROM message m WHERE "
    "m.customer_id = i.customer_id AND m.identity_id = i.id AND m.kind = 'inbound') "
    "AS has_written FROM identity i WHERE i.customer_id = {customer}"
)
LABELS = ("SELECT l.name FROM conversation_label cl JOIN label l ON l.id = cl.label_id "
          "WHERE cl.conversation_id = c.id")


def conversation_detail(store: Store, conversation_id: int) -> ConversationDetail:
    """One statement (its labels and the customer's identities read inside it as JSON): on
    PostgreSQL one round trip where a transaction of five took one each, on every message a
    console shows."""
    sql = store.sql
    r = store.conn.execute(
        "SELECT c.id, c.customer_id, cu.name, c.status, c.channel, c.subject, a.username, "
        "c.created_at, c.last_message_at, c.waiting_since, c.due_at, c.rating, "
        "c.transfer_message_id, c.merged_into, "
        "(SELECT max(id) FROM message WHERE conversation_id = c.id AND kind = 'inbound'), "
        "(SELECT identity_id FROM message WHERE customer_id = c.customer_id "
        "AND kind = 'inbound' ORDER BY id DESC LIMIT 1), "
        f"{sql.json_rows(LABELS, ('name',), 'name')}, "
        f"{sql.json_rows(IDENTITIES.format(customer='c.customer_id'), IDENTITY_COLUMNS, 'id')} "
        "FROM conversation c JOIN customer cu ON cu.id = c.customer_id "
        "LEFT JOIN agent a ON a.id = c.assignee_id WHERE c.id = ?",
        (conversation_id,),
    ).fetchone()
    if r is None:
        raise NotFound(f"There is no conversation {conversation_id}.")
    labels = tuple(x["name"] for x in _json_list(r[16]))
    identities = tuple(_identity(x) for x in _json_list(r[17]))
    note = None if r[12] is None else one_message(store, r[12])
    return ConversationDetail(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        r[6],
        r[7],
        r[8],
        r[9],
        r[10],
        r[11],
        labels,
        note,
        r[13],
        identities,
        r[14],
        r[15],
    )


def _json_list(value: Any) -> list[dict[str, Any]]:
    """A JSON array read back: text from SQLite, already loaded by the PostgreSQL driver."""
    return json.loads(value) if isinstance(value, str) else list(value or ())


def _identity(row: Any) -> dict[str, Any]:
    out = {name: row[name] for name in IDENTITY_COLUMNS}
    out["has_written"] = bool(out["has_written"])
    return out


def identities_of(store: Store, customer_id: int) -> tuple[dict[str, Any], ...]:
    """A customer's identities (see IDENTITIES), oldest first."""
    return tuple(
        _identity(dict(zip(IDENTITY_COLUMNS, x, strict=True)))
        for x in store.conn.execute(IDENTITIES.format(customer="?") + " ORDER BY i.id",
                                    (customer_id,))
    )


def customer_list(store: Store, *, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    addresses = store.sql.joined("kind || ':' || address", " ")
    rows = store.conn.execute(
        "SELECT c.id, c.name, c.email, c.phone, c.created_at, "
        "(SELECT count(*) FROM conversation WHERE customer_id = c.id), "
        f"(SELECT {addresses} FROM identity WHERE customer_id = c.id)"
        " FROM customer c WHERE c.merged_into IS NULL ORDER BY c.id LIMIT ? OFFSET ?",
        (limit, offset),
    ).fetchall()
    return [
        {
            "id": r[0],
            "name": r[1],
            "email": r[2],
            "phone": r[3],
            "created_at": r[4],
            "conversations": r[5],
            "identities": (r[6] or "").split(),
        }
        for r in rows
    ]


_CONVERSATION_ENTRY = ("id", "status", "channel", "subject", "created_at", "last_message_at")


def customer_conversations(store: Store, customer_id: int) -> list[dict[str, Any]]:
    """A customer's conversations, the most recently active first (the side panel's list)."""
    return [
        dict(zip(_CONVERSATION_ENTRY, x, strict=True))
        for x in store.conn.execute(
            f"SELECT {', '.join(_CONVERSATION_ENTRY)} FROM conversation "
            "WHERE customer_id = ? AND merged_into IS NULL ORDER BY last_message_at DESC",
            (customer_id,),
        )
    ]


def conversation_entry(detail: ConversationDetail) -> dict[str, Any]:
    """A conversation as `customer_conversations` lists it, from its detail."""
    return {name: getattr(detail, name) for name in _CONVERSATION_ENTRY}


def customer_detail(store: Store, customer_id: int) -> dict[str, Any]:
    r = store.conn.execute(
        "SELECT id, name, email, phone, created_at, merged_into, link_token FROM customer "
        "WHERE id = ?",
        (customer_id,),
    ).fetchone()
    if r is None:
        raise NotFound(f"There is no customer {customer_id}.")
    convs = customer_conversations(store, customer_id)
    return {
        "id": r[0],
        "name": r[1],
        "email": r[2],
        "phone": r[3],
        "created_at": r[4],
        "merged_into": r[5],
        "identities": list(identities_of(store, customer_id)),
        "conversations": convs,
    }


@dataclass(frozen=True, slots=True)
class SearchHit:
    message_id: int
    conversation_id: int
    customer_id: int
    customer: str
    kind: str
    channel: str | None
    text: str
    created_at: float


def search_messages(
    store: Store, text: str, *, limit: int = 50, offset: int = 0
) -> list[SearchHit]:
    """Messages matching every word (prefixes too), newest first; customer names match too."""
    query = search_query(store.sql, text)
    if query is None:
        return []
    ids = newest_matching_messages(store, query, limit, offset)
    rows = store.conn.execute(
        "SELECT m.id, m.conversation_id, m.customer_id, cu.name, m.kind, m.channel, m.text, "
        "m.created_at FROM message m JOIN customer cu ON cu.id = m.customer_id "
        f"WHERE m.id IN ({', '.join('?' for _ in ids)}) ORDER BY m.id DESC", ids,
    ).fetchall() if ids else []
    hits = [SearchHit(*r) for r in rows]
    if offset == 0 and len(hits) < limit:
        seen = {h.message_id for h in hits}
        for r in store.conn.execute(
            "SELECT m.id, m.conversation_id, m.customer_id, cu.name, m.kind, m.channel, m.text, "
            f"m.created_at FROM ({matching_customers(store.sql)}) hit "
            "JOIN customer cu ON cu.id = hit.id JOIN message m ON m.id = "
            "(SELECT max(id) FROM message WHERE customer_id = cu.id) ORDER BY cu.id",
            (query, 20),
        ):
            if r[0] not in seen and len(hits) < limit:
                hits.append(SearchHit(*r))
    return hits
