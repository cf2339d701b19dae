"""How an identity came to a customer already known: only a claimed email is unverified."""

from __future__ import annotations

from typing import Any

from omnitui.channels.base import META_TYPED_EMAIL, Inbound
from omnitui.core.agents import AgentRow
from omnitui.core.identities import unverified_note
from omnitui.core.ingest import ingest
from omnitui.core.merge import merge_customers, unmerge_customer
from omnitui.store import queries
from omnitui.store.db import Store


def chat(ext: str, visitor: str = "v1", **kw: Any) -> Inbound:
    return Inbound(channel="chat", kind="chat", external_id=ext, address=visitor, text="hi", **kw)


def mail(ext: str, sender: str = "olga@example.org") -> Inbound:
    return Inbound(channel="mail", kind="email", external_id=ext, address=sender,
                   text="by mail", wire_id=f"<{ext}@x>")


def telegram(ext: str, user: str, **kw: Any) -> Inbound:
    return Inbound(channel="bot", kind="telegram", external_id=ext, address=user, text="hi", **kw)


def linked_via(store: Store, kind: str, address: str) -> str | None:
    row = store.conn.execute("SELECT linked_via FROM identity WHERE kind = ? AND address = ?",
                             (kind, address)).fetchone()
    assert row is not None, (kind, address)
    return row[0]


def everything(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row a customer merge may touch, to compare before and after an unmerge."""
    tables = {"identity": "SELECT * FROM identity ORDER BY id",
              "customer": "SELECT id, name, email, phone, merged_into FROM customer ORDER BY id",
              "conversation": "SELECT id, customer_id FROM conversation ORDER BY id",
              "message": "SELECT id, customer_id, conversation_id FROM message ORDER BY id"}
    return {name: [tuple(r) for r in store.conn.execute(sql)] for name, sql in tables.items()}


def test_chat_hello_email_links_unverified(store: Store) -> None:
    known = ingest(store, mail("m1"))
    visitor = ingest(store, chat("v1:1", link_email="Olga@Example.org"))
    assert visitor.customer_id == known.customer_id
    assert linked_via(store, "chat", "v1") == "email"
    assert linked_via(store, "email", "olga@example.org") is None
    by_kind = {i["kind"]: i["linked_via"] for i in queries.identities_of(store, known.customer_id)}
    assert by_kind == {"email": None, "chat": "email"}


def test_lone_chat_customer_folded_by_email_is_unverified_until_unmerged(store: Store,
                                                                         ann: AgentRow) -> None:
    ingest(store, mail("m1"))
    anon = ingest(store, chat("v9:1", "v9"))
    assert linked_via(store, "chat", "v9") is None
    before = everything(store)
    ingest(store, chat("v9:2", "v9", link_email="olga@example.org"))
    assert linked_via(store, "chat", "v9") == "email"
    unmerge_customer(store, anon.customer_id, ann)
    after = everything(store)
    # The message that arrived with the fold stays in the conversation it was routed to.
    assert {k: v for k, v in after.items() if k != "message"} == {
        k: v for k, v in before.items() if k != "message"}
    assert after["message"][:len(before["message"])] == before["message"]


def test_deep_link_and_own_phone_link_verified(store: Store) -> None:
    known = ingest(store, mail("m1"))
    store.conn.execute("UPDATE customer SET phone = '+48123456789', link_token = 'tok' "
                       "WHERE id = ?", (known.customer_id,))
    ingest(store, telegram("u1", "111", link_token="tok"))
    ingest(store, telegram("u2", "222", link_phone="+48 123 456 789"))
    assert linked_via(store, "telegram", "111") == "link"
    assert linked_via(store, "telegram", "222") == "phone"
    lone = ingest(store, telegram("u3", "333"))
    ingest(store, telegram("u4", "333", link_token="tok"))
    assert linked_via(store, "telegram", "333") == "link"
    assert lone.customer_id != known.customer_id


def test_typed_email_never_links(store: Store) -> None:
    known = ingest(store, mail("m1"))
    typed = ingest(store, chat("v2:1", "v2", link_email="olga@example.org",
                               meta={META_TYPED_EMAIL: True}))
    assert typed.customer_id != known.customer_id
    assert linked_via(store, "chat", "v2") is None
    assert [i["kind"] for i in queries.identities_of(store, typed.customer_id)] == ["chat"]


def test_first_seen_on_its_own_is_not_linked(store: Store) -> None:
    new = ingest(store, chat("v3:1", "v3", link_email="nobody@example.org"))
    assert {i["kind"]: i["linked_via"] for i in queries.identities_of(store, new.customer_id)} == {
        "chat": None, "email": "claimed"}  # the chat is its own; the address only a claim


def test_agent_merge_marks_nothing_and_unmerge_restores_exactly(store: Store,
                                                                ann: AgentRow) -> None:
    olga = ingest(store, mail("m1"))
    ingest(store, chat("v1:1", "v1", link_email="olga@example.org"))  # unverified, stays so
    other = ingest(store, chat("v2:1", "v2"))
    before = everything(store)
    merge_customers(store, other.customer_id, olga.customer_id, ann)
    assert {i["address"]: i["linked_via"] for i in queries.identities_of(
        store, other.customer_id)} == {"olga@example.org": None, "v1": "email", "v2": None}
    unmerge_customer(store, olga.customer_id, ann)
    assert everything(store) == before


def test_address_first_given_in_chat_is_marked_when_its_mail_arrives(store: Store) -> None:
    """A visitor gives an address nobody owns yet: it becomes this customer's email identity,
    so the owner's mail later joins the visitor's history. The agent is told it was a claim."""
    visitor = ingest(store, chat("v1:1", link_email="olga@example.org"))
    assert linked_via(store, "email", "olga@example.org") == "claimed"
    later = ingest(store, mail("m1"))
    assert later.customer_id == visitor.customer_id
    notes = {i["kind"]: unverified_note(i["linked_via"])
             for i in queries.identities_of(store, visitor.customer_id)}
    assert notes == {"chat": None, "email": "unverified: address given in chat"}
