"""A conversation's detail, read in one statement (labels and identities as JSON inside it),
holds exactly what the reads it replaced gave, on both engines: every field, the labels in the
engine's order of names, the identities oldest first with how each was linked."""

from __future__ import annotations

from typing import Any

from omnitui.channels.base import Inbound
from omnitui.core import actions
from omnitui.core.agents import AgentRow
from omnitui.core.ingest import ingest
from omnitui.store import queries
from omnitui.store.db import Store

HOSTILE = 'Ol"ga \\ \x1b[2J \u202e [b]x[/b] \'; DROP TABLE label; --'


def reference(store: Store, conversation_id: int) -> tuple[tuple[str, ...],
                                                           tuple[dict[str, Any], ...]]:
    """Labels and identities as the console read them before, one statement each."""
    with store.read():
        customer = store.conn.execute("SELECT customer_id FROM conversation WHERE id = ?",
                                      (conversation_id,)).fetchone()[0]
        labels = tuple(x[0] for x in store.conn.execute(
            "SELECT l.name FROM conversation_label cl JOIN label l ON l.id = cl.label_id "
            "WHERE cl.conversation_id = ? ORDER BY l.name", (conversation_id,)))
        identities = tuple(
            {"id": x[0], "kind": x[1], "address": x[2], "channel": x[3], "display_name": x[4],
             "linked_via": x[5], "has_written": bool(x[6])}
            for x in store.conn.execute(
                "SELECT i.id, i.kind, i.address, i.channel, i.display_name, i.linked_via, "
                "i.linked_via IS NOT NULL AND EXISTS (SELECT 1 FROM message m WHERE "
                "m.customer_id = i.customer_id AND m.identity_id = i.id AND "
                "m.kind = 'inbound') FROM identity i WHERE i.customer_id = ? ORDER BY i.id",
                (customer,)))
    return labels, identities


def test_one_statement_reads_what_the_separate_reads_did(store: Store, ann: AgentRow,
                                                         bob: AgentRow) -> None:
    mail = ingest(store, Inbound(channel="mail", kind="email", external_id="m1",
                                 address="olga@example.org", display_name=HOSTILE,
                                 subject="Zwrot", text="by mail"))
    chat = ingest(store, Inbound(channel="chat", kind="chat", external_id="v1:1",
                                 address="visitor-olga", display_name="Olga (chat)",
                                 text="hi", link_email="olga@example.org"))
    assert chat.customer_id == mail.customer_id  # linked by the email given in chat
    ingest(store, Inbound(channel="bot", kind="telegram", external_id="t1", address="777",
                          display_name="Ольга", text="привет", link_email="olga@example.org"))
    conversation = chat.conversation_id
    for name in ("zeta", "Ärger", "alpha", "Zoo", "доставка", HOSTILE[:20], "a b"):
        actions.label(store, conversation, name, ann)
    actions.transfer(store, conversation, "bob", "She asked about the refund twice.", ann)
    detail = queries.conversation_detail(store, conversation)
    labels, identities = reference(store, conversation)
    assert detail.labels == labels and len(labels) == 7
    assert detail.identities == identities and len(identities) == 3
    assert {i["linked_via"] is not None for i in identities} == {True, False}
    assert any(i["has_written"] for i in identities)
    assert detail.transfer_note is not None and "refund" in detail.transfer_note.text
    stored = store.conn.execute("SELECT name FROM customer WHERE id = ?",
                                (chat.customer_id,)).fetchone()[0]
    assert detail.assignee == "bob" and detail.customer == stored and '"' in stored


def test_a_conversation_with_no_labels_and_one_identity(store: Store) -> None:
    new = ingest(store, Inbound(channel="chat", kind="chat", external_id="v2:1",
                                address="visitor-2", text="hello"))
    detail = queries.conversation_detail(store, new.conversation_id)
    assert detail.labels == ()
    assert detail.identities == reference(store, new.conversation_id)[1]
    assert [i["address"] for i in detail.identities] == ["visitor-2"]
    assert detail.transfer_note is None
