"""A timeline page read as rows, then dressed: the same messages, authors, edits and files as
one statement joining everything would give, and nothing of the customers in between."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from omnitui.channels.base import Inbound, InboundAttachment
from omnitui.core import actions
from omnitui.core.agents import AgentRow
from omnitui.core.ingest import ingest, ingest_batch
from omnitui.store import queries
from omnitui.store.db import Store

# The plain reading: every row joined to its author and asked for its newest edit, row by row.
JOINED = (
    "SELECT m.id, m.conversation_id, m.kind, m.channel, "
    "coalesce(a.name, i.display_name, cu.name), "
    "coalesce((SELECT r.text FROM message_revision r WHERE r.message_id = m.id "
    " ORDER BY r.id DESC LIMIT 1), m.text), m.subject, m.created_at, m.delivery_state, "
    "m.failure_reason, m.flags, EXISTS (SELECT 1 FROM message_revision r WHERE "
    "r.message_id = m.id), m.quoted_text, m.meta "
    "FROM message m JOIN customer cu ON cu.id = m.customer_id "
    "LEFT JOIN agent a ON a.id = m.agent_id LEFT JOIN identity i ON i.id = m.identity_id "
)


def joined(store: Store, where: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    out = []
    for r in store.conn.execute(JOINED + where, params).fetchall():
        files = store.conn.execute(
            "SELECT filename, content_type, size, sha256, note FROM attachment "
            "WHERE message_id = ? ORDER BY id", (r[0],)).fetchall()
        out.append((r[0], r[1], r[2], r[3], r[4] or "", r[5], r[6], r[7], r[8], r[9],
                    tuple((r[10] or "").split()), bool(r[11]), r[12],
                    json.loads(r[13]) if r[13] and r[13] != "{}" else {},
                    tuple(tuple(f) for f in files)))
    return out


def value(store: Store, sql: str, *params: Any) -> Any:
    return store.conn.execute(sql, params).fetchone()[0]


def shown(rows: list[queries.MessageRow]) -> list[tuple[Any, ...]]:
    return [(m.id, m.conversation_id, m.kind, m.channel, m.author, m.text, m.subject,
             m.created_at, m.delivery_state, m.failure_reason, m.flags, m.edited, m.quoted_text,
             m.meta, tuple(tuple(f.values()) for f in m.attachments)) for m in rows]


def chat(ext: str, visitor: str, text: str, **kw: Any) -> Inbound:
    return Inbound(channel="chat", kind="chat", external_id=ext, address=visitor, text=text,
                   **kw)


def two_customers(store: Store, ann: AgentRow, bob: AgentRow, files: Path) -> tuple[int, int]:
    """Olga (a display name on her identity) and Piotr (none) writing in turns, with edits,
    files, replies, a note and a transfer on both sides."""
    olga = piotr = None
    for n in range(12):
        o = ingest_batch(store, [chat(f"o{n}", "olga", f"olga {n}", display_name="Olga K.",
                                      attachments=(InboundAttachment(
                                          f"o{n}.txt", "text/plain", 2, b"o!"),)
                                      if n % 3 == 0 else ())], attachments_dir=files)[0]
        p = ingest_batch(store, [chat(f"p{n}", "piotr", f"piotr {n}",
                                      attachments=(InboundAttachment(
                                          f"p{n}.txt", "text/plain", 2, b"p!"),)
                                      if n % 2 == 1 else ())], attachments_dir=files)[0]
        olga, piotr = o, p
        if n % 4 == 1:
            ingest(store, chat(f"p{n}:edit", "piotr", f"piotr {n} (fixed)", revision_of=f"p{n}"))
            ingest(store, chat(f"o{n}:edit1", "olga", f"olga {n} (1)", revision_of=f"o{n}"))
            ingest(store, chat(f"o{n}:edit2", "olga", f"olga {n} (2)", revision_of=f"o{n}"))
        if n == 5:
            actions.reply(store, o.conversation_id, "Ann answers Olga", ann)
            actions.reply(store, p.conversation_id, "Ann answers Piotr", ann)
            actions.note(store, o.conversation_id, "Olga ordered twice", bob)
        if n == 8:
            actions.transfer(store, o.conversation_id, "bob", "Olga wants a refund", ann)
    assert olga is not None and piotr is not None
    return olga.customer_id, piotr.customer_id


def test_a_page_reads_as_the_joined_statement_would(store: Store, ann: AgentRow, bob: AgentRow,
                                                    tmp_path: Path) -> None:
    olga, piotr = two_customers(store, ann, bob, tmp_path)
    for customer in (olga, piotr):
        whole = queries.customer_timeline(store, customer)
        expected = joined(store, "WHERE m.customer_id = ? ORDER BY m.id", (customer,))
        assert shown(whole) == expected
        assert len(whole) >= 12
        # Pages: the newest five, then the five before them; each its own id range.
        newest = queries.customer_timeline(store, customer, limit=5)
        older = queries.customer_timeline(store, customer, limit=5, before_id=newest[0].id)
        assert shown(older + newest) == expected[-10:]
        # What a shown timeline lacks: everything after its newest message, in order.
        after = queries.customer_messages_after(store, customer, expected[-7][0])
        assert shown(after) == expected[-6:]
        assert queries.customer_messages_after(store, customer, expected[-1][0]) == []
    by_olga = {m.text: m for m in queries.customer_timeline(store, olga)}
    assert by_olga["olga 1 (2)"].edited and by_olga["olga 0"].attachments[0]["filename"] == "o0.txt"
    assert by_olga["Ann answers Olga"].author == "Ann Agent"
    assert by_olga["Olga ordered twice"].author == "Bob Builder"
    assert by_olga["olga 2"].author == "Olga K."
    piotr_authors = {m.author for m in queries.customer_timeline(store, piotr)
                     if m.kind == "inbound"}
    assert piotr_authors == {str(value(store, "SELECT name FROM customer WHERE id = ?", piotr))}


def test_a_conversation_and_a_transfer_note_read_the_same(store: Store, ann: AgentRow,
                                                          bob: AgentRow, tmp_path: Path) -> None:
    olga, _ = two_customers(store, ann, bob, tmp_path)
    conversation = int(value(store, "SELECT max(id) FROM conversation WHERE customer_id = ?",
                                   olga))
    assert shown(queries.conversation_messages(store, conversation)) == joined(
        store, "WHERE m.conversation_id = ? ORDER BY m.id", (conversation,))
    note = queries.conversation_detail(store, conversation).transfer_note
    assert note is not None and note.text == "Olga wants a refund" and note.author == "Ann Agent"
    assert queries.conversation_messages(store, 10**9) == []
    assert queries.customer_timeline(store, olga, before_id=1) == []
