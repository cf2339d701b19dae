"""Starting a conversation from the shop's side (core/compose.py): an ordinary conversation
afterwards, one sentence and nothing stored for every refusal."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from omnitui.channels.base import Inbound
from omnitui.core import actions
from omnitui.core.agents import AgentRow
from omnitui.core.chat_presence import clear_channel, set_online
from omnitui.core.compose import customer_matches, start_conversation, targets
from omnitui.core.errors import ActionError, NotFound
from omnitui.core.hours import BusinessHours
from omnitui.core.ingest import ingest
from omnitui.core.reports import build_report
from omnitui.core.signatures import ChannelSigning, Signing
from omnitui.core.sla import SlaPolicy
from omnitui.core.sla_store import sla_status
from omnitui.store.db import Store

CHANNELS = {"mail": "email", "bot": "telegram", "chat": "chat"}
SIGNING = Signing("Shoe Shop", {
    "mail": ChannelSigning("email", None, "Shoe Shop Ltd · VAT PL123", "support@shop.test"),
    "bot": ChannelSigning("telegram", None, "", ""),
    "chat": ChannelSigning("chat", None, "", ""),
})
TABLES = ("customer", "identity", "conversation", "message", "outbox", "event")


def counts(store: Store) -> dict[str, int]:
    return {t: store.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def start(store: Store, agent: AgentRow, to: str, text: str = "Hello", **kw: object):  # type: ignore[no-untyped-def]
    kw.setdefault("channels", CHANNELS)
    return start_conversation(store, agent, to, text, **kw)  # type: ignore[arg-type]


def test_email_to_a_new_address_is_an_ordinary_conversation(store: Store, ann: AgentRow) -> None:
    started = start(store, ann, "Olga@Example.org", "Your parcel left today.",
                    subject="Order 4412", signing=SIGNING)
    assert started.new_customer and started.channel == "mail"
    conv = store.conn.execute(
        "SELECT status, channel, subject, assignee_id, started_by, waiting_since FROM "
        "conversation WHERE id = ?", (started.conversation_id,)).fetchone()
    assert tuple(conv) == ("open", "mail", "Order 4412", ann.id, ann.id, None)
    msg = store.conn.execute(
        "SELECT kind, channel, subject, text, reply_token, delivery_state FROM message "
        "WHERE id = ?", (started.message_id,)).fetchone()
    assert msg["kind"] == "outbound" and msg["subject"] == "Order 4412"
    assert msg["text"] == ("Your parcel left today.\n\nAnn Agent\nShoe Shop\n\n"
                           "Shoe Shop Ltd · VAT PL123")
    assert msg["reply_token"] and msg["delivery_state"] == "queued"
    assert store.conn.execute("SELECT state FROM outbox WHERE message_id = ?",
                              (started.message_id,)).fetchone()[0] == "queued"
    ident = store.conn.execute("SELECT kind, address, channel FROM identity WHERE id = ?",
                               (started.identity_id,)).fetchone()
    assert tuple(ident) == ("email", "olga@example.org", "mail")
    kinds = [r[0] for r in store.conn.execute("SELECT kind FROM event ORDER BY id")]
    assert kinds[-2:] == ["conversation_started", "message_out"]
    # The same address again is the same customer, a second conversation, no new identity.
    again = start(store, ann, "olga@example.org", "One more thing")
    assert again.customer_id == started.customer_id and not again.new_customer
    assert again.identity_id == started.identity_id
    assert store.conn.execute("SELECT subject FROM message WHERE id = ?",
                              (again.message_id,)).fetchone()[0] == "One more thing"


def test_customer_by_id_name_or_address_on_the_channel_last_heard(store: Store,
                                                                  ann: AgentRow) -> None:
    ingest(store, Inbound(channel="mail", kind="email", external_id="m1",
                          address="marek@example.org", display_name="Marek Nowak", text="hi"))
    first = ingest(store, Inbound(channel="bot", kind="telegram", external_id="t1",
                                  address="5512", display_name="Marek", text="hej",
                                  link_email="marek@example.org"))
    customer = first.customer_id
    by_name = start(store, ann, "marek nowak", "Your refund is done.")
    assert by_name.customer_id == customer and by_name.channel == "bot"  # heard there last
    by_id = start(store, ann, f"#{customer}", "Dear Marek", via="email")
    assert by_id.channel == "mail"
    by_address = start(store, ann, "marek@example.org", "Re refund", via="telegram")
    assert by_address.channel == "bot"
    labels = [t.label for t in targets(store, customer, CHANNELS)]
    assert labels == ["Telegram Marek", "email marek@example.org"]


def test_follow_up_goes_where_the_conversation_started(store: Store, ann: AgentRow) -> None:
    ingest(store, Inbound(channel="bot", kind="telegram", external_id="t1", address="77",
                          text="hello", link_email="ida@example.org"))
    started = start(store, ann, "ida@example.org", "First mail", via="email")
    follow = actions.reply(store, started.conversation_id, "Second mail", ann)
    assert follow.channel == "mail"  # not Telegram, where the customer wrote last elsewhere
    subject = store.conn.execute("SELECT subject FROM message WHERE id = ?",
                                 (follow.message_id,)).fetchone()[0]
    assert subject == "Re: First mail"


@pytest.mark.parametrize(("to", "kw", "sentence"), [
    ("olga@@example", {}, "'olga@@example' is not a valid email address."),
    ("nobody at all", {}, "There is no customer called 'nobody at all'"),
    ("#999", {}, "There is no customer 999."),
    ("new@example.org", {"via": "telegram"}, "can only be written to by email"),
    ("anna@example.org", {"via": "telegram"}, "has no Telegram identity: a bot can only write "
                                              "to people who have written to it first."),
    ("anna@example.org", {"via": "chat"}, "has never written on the website chat"),
    ("anna@example.org", {"via": "fax"}, "'fax' is neither a channel kind nor a configured "
                                         "channel"),
    ("anna@example.org", {"text": " \n "}, "A new conversation needs some text."),
    ("", {}, "Say whom to write to"),
    ("anna@example.org", {"via": "telegram", "channels": {"mail": "email"}},
     "No Telegram channel is configured."),
])
def test_refusals_are_one_sentence_and_store_nothing(store: Store, ann: AgentRow, to: str,
                                                     kw: dict, sentence: str) -> None:
    ingest(store, Inbound(channel="mail", kind="email", external_id="m1",
                          address="anna@example.org", text="hi"))
    before = counts(store)
    text = kw.pop("text", "Hello")
    with pytest.raises((ActionError, NotFound)) as exc:
        start(store, ann, to, text, **kw)
    assert sentence in str(exc.value) and "\n" not in str(exc.value)
    assert counts(store) == before


def test_chat_only_to_a_visitor_online_now(store: Store, ann: AgentRow) -> None:
    first = ingest(store, Inbound(channel="chat", kind="chat", external_id="v9:1",
                                  address="v9", display_name="Liam", text="hi",
                                  link_email="liam@example.org"))
    before = counts(store)
    with pytest.raises(ActionError, match=r"Liam is not on the website chat now.*write by email"):
        start(store, ann, f"{first.customer_id}", "Still there?", via="chat")
    assert counts(store) == before
    set_online(store, "chat", "v9", True)
    with pytest.raises(ActionError, match="not on the website chat"):  # no hub serves it
        start(store, ann, f"{first.customer_id}", "Still there?", via="chat", hub_running=False)
    started = start(store, ann, f"{first.customer_id}", "Still there?", via="chat")
    assert started.channel == "chat"
    assert [t.online for t in targets(store, first.customer_id, CHANNELS) if t.kind == "chat"] \
        == [True]
    assert clear_channel(store, "chat") == 1
    assert [t.online for t in targets(store, first.customer_id, CHANNELS) if t.kind == "chat"] \
        == [False]


def test_no_first_response_clock_and_reports_count_it_sensibly(store: Store,
                                                               ann: AgentRow) -> None:
    policy = SlaPolicy.from_config({"email": {"first": "1h", "next": "4h"}})
    hours = BusinessHours.from_config({}, "UTC")
    started = start(store, ann, "olga@example.org", "Your parcel is back with us.")
    now = datetime.now(UTC)
    assert sla_status(store, started.conversation_id, policy, hours, now).due is None
    ingest(store, Inbound(channel="mail", kind="email", external_id="m2",
                          address="olga@example.org", text="Please send it again",
                          reply_token=store.conn.execute(
                              "SELECT reply_token FROM message WHERE id = ?",
                              (started.message_id,)).fetchone()[0]))
    status = sla_status(store, started.conversation_id, policy, hours, datetime.now(UTC))
    assert status.first_response_due is None and status.next_response_due is not None
    actions.resolve(store, started.conversation_id, ann)
    # The customer's own earlier case, resolved, is not "came back" because ann wrote first.
    earlier = ingest(store, Inbound(channel="mail", kind="email", external_id="m0",
                                    address="ida@example.org", text="Where is it?"))
    actions.reply(store, earlier.conversation_id, "Found it", ann)
    actions.resolve(store, earlier.conversation_id, ann)
    start(store, ann, "ida@example.org", "Did it arrive?")
    report = build_report(store, policy, hours, since=datetime(2000, 1, 1, tzinfo=UTC),
                          now=datetime.now(UTC))
    assert report.total.conversations == 3
    assert report.total.first_responses == 1  # only the customer-begun one had a first wait
    assert report.total.fcr == 2


def test_customer_matches_forgive_typos_and_take_ids(store: Store) -> None:
    for n, (name, address) in enumerate([("Marek Nowak", "marek@example.org"),
                                         ("Olga Petrova", "olga@example.org"),
                                         ("Amina Haddad", "amina@example.net")]):
        ingest(store, Inbound(channel="mail", kind="email", external_id=f"m{n}",
                              address=address, display_name=name, text="hi"))
    assert [m.name for m in customer_matches(store, "marek nowk")][:1] == ["Marek Nowak"]
    assert [m.name for m in customer_matches(store, "amina@example")][:1] == ["Amina Haddad"]
    olga = customer_matches(store, "Olga")[0]
    assert olga.addresses == ("email olga@example.org",)
    assert customer_matches(store, f"#{olga.customer_id}") == [olga]
    assert customer_matches(store, "#999") == []
