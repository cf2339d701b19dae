"""The warm transfer draft names the calls logged and the latest question on every channel, so
the colleague taking over asks the customer nothing again."""

from __future__ import annotations

from omnitui.channels.base import Inbound
from omnitui.core import actions
from omnitui.core.agents import AgentRow
from omnitui.core.ingest import ingest
from omnitui.core.merge import merge_customers
from omnitui.store.console_queries import transfer_draft
from omnitui.store.db import Store


def test_draft_has_calls_and_each_channels_last_question(store: Store, ann: AgentRow) -> None:
    first = ingest(store, Inbound(channel="bot", kind="telegram", external_id="t1",
                                  address="5512", text="Where is order 4412? It is late.",
                                  display_name="Anna Kowalska"))
    chat = ingest(store, Inbound(channel="chat", kind="chat", external_id="c1", address="v1",
                                 text="Can I pay by card?", link_email="anna@post.example"))
    ingest(store, Inbound(channel="mail", kind="email", external_id="m1",
                          address="anna@post.example", text="Is a refund possible?\nThanks"))
    merge_customers(store, first.customer_id, chat.customer_id, ann)
    actions.log_call(store, first.conversation_id, "She called: parcel 4412 and order #5120",
                     ann)
    lines = transfer_draft(store, first.conversation_id).splitlines()
    assert lines[0] == "Customer: Anna Kowalska"
    assert "Channels used: bot, chat, mail" in lines
    assert "Order numbers: 4412, 5120" in lines
    call = next(line for line in lines if line.startswith("Call "))
    assert call.endswith("(Ann Agent): She called: parcel 4412 and order #5120")
    asked = [line for line in lines if line.startswith("Last question")]
    assert asked == ["Last question (bot): Where is order 4412?",
                     "Last question (chat): Can I pay by card?",
                     "Last question (mail): Is a refund possible?"]
    assert lines[-1] == "Where we are: "


def test_one_channel_draft_says_last_question_plainly(store: Store) -> None:
    res = ingest(store, Inbound(channel="chat", kind="chat", external_id="c1", address="v1",
                                text="hello there. do you ship to Norway?"))
    lines = transfer_draft(store, res.conversation_id).splitlines()
    assert "Last question: do you ship to Norway?" in lines
    assert not any(line.startswith("Call ") for line in lines)


def test_no_conversation_no_draft(store: Store) -> None:
    assert transfer_draft(store, 999) == ""
