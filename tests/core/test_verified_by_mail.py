"""An address given in chat is unverified until mail comes from it: then its owner has shown
they receive mail there, and a reply by email is not flagged."""

from __future__ import annotations

from omnitui.channels.base import Inbound
from omnitui.core.identity_trust import identity_warning
from omnitui.core.ingest import ingest
from omnitui.store import queries
from omnitui.store.db import Store


def notes(store: Store, customer_id: int) -> dict[str, str | None]:
    return {f"{i['kind']}:{i['address']}": identity_warning(i)
            for i in queries.identities_of(store, customer_id)}


def test_claimed_address_is_verified_once_it_emails(store: Store) -> None:
    visitor = ingest(store, Inbound(channel="chat", kind="chat", external_id="c1",
                                    address="v1", text="hi", link_email="anna@post.example"))
    assert notes(store, visitor.customer_id) == {
        "chat:v1": None, "email:anna@post.example": "unverified: address given in chat"}
    mail = ingest(store, Inbound(channel="mail", kind="email", external_id="m1",
                                 address="anna@post.example", text="it is me"))
    assert mail.customer_id == visitor.customer_id
    assert notes(store, visitor.customer_id) == {"chat:v1": None,
                                                 "email:anna@post.example": None}


def test_a_chat_linked_by_a_typed_address_stays_unverified(store: Store) -> None:
    """Mail from the address proves the mailbox, not that the chat visitor owns it."""
    known = ingest(store, Inbound(channel="mail", kind="email", external_id="m1",
                                  address="olga@example.org", text="by mail"))
    ingest(store, Inbound(channel="chat", kind="chat", external_id="c1", address="v1",
                          text="hi", link_email="olga@example.org"))
    ingest(store, Inbound(channel="chat", kind="chat", external_id="c2", address="v1",
                          text="again"))
    assert notes(store, known.customer_id)["chat:v1"] == ("unverified: linked by an email "
                                                          "given in chat")
