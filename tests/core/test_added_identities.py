"""Identities an agent adds: what later arrives from them joins the customer; bad values and
somebody else's identities are refused in one sentence with nothing stored."""

from __future__ import annotations

import pytest

from omnitui.channels.base import Inbound
from omnitui.core.actions import log_call
from omnitui.core.added_identities import add_identity
from omnitui.core.agents import AgentRow
from omnitui.core.errors import ActionError
from omnitui.core.identities import unverified_note
from omnitui.core.ingest import ingest
from omnitui.core.recognition_options import RecognitionSettings
from omnitui.core.suggestions import open_suggestions, suggestion_label
from omnitui.store import queries
from omnitui.store.db import Store

PL = RecognitionSettings(phone_region="PL")


def anna(store: Store) -> tuple[int, int]:
    res = ingest(store, Inbound(channel="bot", kind="telegram", external_id="1", address="5512",
                                text="order 4412?", display_name="Anna Kowalska"),
                 recognition=PL)
    return res.customer_id, res.conversation_id


def rows(store: Store, sql: str) -> list[tuple[object, ...]]:
    return [tuple(r) for r in store.conn.execute(sql)]


def test_mail_from_an_added_address_joins_her_timeline(store: Store, ann: AgentRow) -> None:
    customer, conversation = anna(store)
    add_identity(store, customer, "email", "Anna.K@Example.org", ann)
    res = ingest(store, Inbound(channel="mail", kind="email", external_id="m1",
                                address="anna.k@example.org", text="Here is the receipt",
                                display_name="Anna K."), recognition=PL)
    assert (res.customer_id, res.conversation_id) == (customer, conversation)
    assert [m.text for m in queries.customer_timeline(store, customer)] == [
        "order 4412?", "Here is the receipt"]
    [added] = [i for i in queries.identities_of(store, customer) if i["kind"] == "email"]
    assert added["linked_via"] == "agent" and unverified_note(added["linked_via"]) is None
    assert rows(store, "SELECT kind, customer_id FROM event WHERE kind = 'identity_added'") == [
        ("identity_added", customer)]
    assert open_suggestions(store) == []


def test_a_telegram_username_joins_the_account_on_its_first_message(store: Store,
                                                                     ann: AgentRow) -> None:
    customer = ingest(store, Inbound(channel="mail", kind="email", external_id="m1",
                                     address="olga@example.org", text="hi")).customer_id
    add_identity(store, customer, "telegram", "@Olga_P", ann)
    res = ingest(store, Inbound(channel="bot", kind="telegram", external_id="1", address="777",
                                text="it's me on Telegram", meta={"username": "olga_p"}))
    assert res.customer_id == customer
    assert rows(store, "SELECT linked_via FROM identity WHERE kind = 'telegram'") == [("agent",)]


BAD = [
    ("email", "anna at example", "'anna at example' is not an email address such as "
                                 "anna@example.org."),
    ("phone", "12", "'12' is not a phone number such as +48 600 123 456."),
    ("telegram", "@a b", "'@a b' is not a Telegram username such as @anna_k (letters, digits "
                         "and _, 4 to 32 characters)."),
    ("fax", "1", "'fax' is not a kind of identity; use one of email, phone, telegram."),
]


@pytest.mark.parametrize(("kind", "value", "sentence"), BAD)
def test_bad_values_are_one_sentence_and_store_nothing(store: Store, ann: AgentRow, kind: str,
                                                       value: str, sentence: str) -> None:
    customer, _ = anna(store)
    before = rows(store, "SELECT * FROM identity")
    with pytest.raises(ActionError) as caught:
        add_identity(store, customer, kind, value, ann, phone_region="PL")
    assert str(caught.value) == sentence
    assert rows(store, "SELECT * FROM identity") == before


def test_somebody_elses_identity_names_them_and_the_merge_command(store: Store,
                                                                   ann: AgentRow) -> None:
    customer, _ = anna(store)
    olga = ingest(store, Inbound(channel="mail", kind="email", external_id="m1",
                                 address="olga@example.org", text="hi",
                                 display_name="Olga Petrova")).customer_id
    with pytest.raises(ActionError) as caught:
        add_identity(store, customer, "email", "olga@example.org", ann)
    assert str(caught.value) == (
        f"olga@example.org already belongs to Olga Petrova (customer {olga}); if they are one "
        f"person, run 'omnitui customer merge {customer} {olga}'.")
    add_identity(store, olga, "phone", "+48 600 123 456", ann, phone_region="PL")
    with pytest.raises(ActionError, match="600-123-456 already belongs to Olga Petrova"):
        add_identity(store, customer, "phone", "600-123-456", ann, phone_region="PL")
    # Her own number again, however written, is no error and adds nothing.
    again, new = add_identity(store, olga, "phone", "600123456", ann, phone_region="PL")
    assert not new
    assert rows(store, "SELECT id, address FROM identity WHERE kind = 'phone'") == [
        (again, "+48 600 123 456")]


def test_a_logged_call_keeps_the_callers_number_as_written(store: Store, ann: AgentRow) -> None:
    customer, conversation = anna(store)
    log_call(store, conversation, "She called about 4412", ann, phone="600 123 456",
             phone_region="PL")
    assert rows(store, "SELECT customer_id, kind, address, linked_via FROM identity "
                       "WHERE kind = 'phone'") == [(customer, "phone", "600 123 456", "agent")]
    [call] = [m for m in queries.customer_timeline(store, customer) if m.kind == "call"]
    assert call.meta["phone"] == "600 123 456"
    # A later mail with the number in its signature is recognised as her.
    ingest(store, Inbound(channel="mail", kind="email", external_id="m1",
                          address="ak@company.example", text="Regards, A.\ntel. +48 600-123-456",
                          display_name="A."), recognition=PL)
    assert [suggestion_label(s) for s in open_suggestions(store)] == [
        "probably Anna Kowalska: same phone"]


def test_a_call_from_somebody_elses_number_logs_nothing(store: Store, ann: AgentRow) -> None:
    _, conversation = anna(store)
    olga = ingest(store, Inbound(channel="mail", kind="email", external_id="m1",
                                 address="olga@example.org", text="hi",
                                 display_name="Olga Petrova")).customer_id
    add_identity(store, olga, "phone", "+48600123456", ann, phone_region="PL")
    with pytest.raises(ActionError, match="already belongs to Olga Petrova"):
        log_call(store, conversation, "called", ann, phone="600 123 456", phone_region="PL")
    assert rows(store, "SELECT count(*) FROM message WHERE kind = 'call'") == [(0,)]
