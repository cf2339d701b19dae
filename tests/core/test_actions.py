"""Agent actions: one transaction and one event each; nothing deleted or edited in place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from omnitui.channels.base import Inbound
from omnitui.core import actions
from omnitui.core.agents import AgentRow, get_agent, set_agent_disabled
from omnitui.core.errors import ActionError, StaleConversation, UnknownAgent
from omnitui.core.feed import Feed
from omnitui.core.ingest import ingest
from omnitui.core.merge import merge_customers, preview_merge, unmerge_customer
from omnitui.store import queries
from omnitui.store.db import Store


def chat(ext: str, visitor: str = "v1", text: str = "hello", **kw: object) -> Inbound:
    return Inbound(channel="chat", kind="chat", external_id=ext, address=visitor, text=text,
                   **kw)  # type: ignore[arg-type]


def events(store: Store) -> list[str]:
    return [r[0] for r in store.conn.execute("SELECT kind FROM event ORDER BY id")]


def test_reply_queues_message_and_outbox_in_one_go(store: Store, ann: AgentRow) -> None:
    r = ingest(store, chat("v1:1"))
    q = actions.reply(store, r.conversation_id, "On its way", ann)
    row = store.conn.execute("SELECT kind, delivery_state, channel FROM message WHERE id = ?",
                             (q.message_id,)).fetchone()
    assert tuple(row) == ("outbound", "queued", "chat")
    box = store.conn.execute("SELECT state, channel FROM outbox WHERE message_id = ?",
                             (q.message_id,)).fetchone()
    assert tuple(box) == ("queued", "chat")
    detail = queries.conversation_detail(store, r.conversation_id)
    assert detail.waiting_since is None and detail.assignee == "ann"
    assert events(store)[-1] == "message_out"


def test_reply_goes_to_latest_inbound_channel_or_chosen_identity(store: Store,
                                                                 ann: AgentRow) -> None:
    r = ingest(store, chat("v1:1", link_email="olga@example.org"))
    ingest(store, Inbound(channel="mail", kind="email", external_id="m1",
                          address="olga@example.org", text="by mail", wire_id="<p@x>"))
    q = actions.reply(store, r.conversation_id, "Answer", ann)
    assert q.channel == "mail"
    meta = store.conn.execute("SELECT meta FROM message WHERE id = ?", (q.message_id,)).fetchone()
    assert "<p@x>" in meta[0]  # In-Reply-To the parent
    chat_identity = next(i for i in queries.identities_of(store, r.customer_id)
                         if i["kind"] == "chat")
    q2 = actions.reply(store, r.conversation_id, "Also here", ann, via_identity=chat_identity["id"])
    assert q2.channel == "chat"


def test_reply_asks_to_confirm_when_customer_wrote_meanwhile(store: Store, ann: AgentRow) -> None:
    r = ingest(store, chat("v1:1"))
    newer = ingest(store, chat("v1:2", text="one more thing"))
    with pytest.raises(StaleConversation):
        actions.reply(store, r.conversation_id, "x", ann, expect_last_inbound=r.message_id)
    actions.reply(store, r.conversation_id, "x", ann, expect_last_inbound=newer.message_id)


def test_transfer_needs_note_pins_it_and_marks_unread(store: Store, ann: AgentRow,
                                                      bob: AgentRow) -> None:
    r = ingest(store, chat("v1:1"))
    actions.mark_read(store, r.conversation_id, bob)
    with pytest.raises(ActionError):
        actions.transfer(store, r.conversation_id, "bob", "   ", ann)
    with pytest.raises(UnknownAgent):
        actions.transfer(store, r.conversation_id, "nobody", "note", ann)
    actions.transfer(store, r.conversation_id, "bob", "Order 42 is late; wants refund", ann)
    detail = queries.conversation_detail(store, r.conversation_id)
    assert detail.assignee == "bob"
    assert detail.transfer_note is not None and "refund" in detail.transfer_note.text
    mine = queries.inbox_page(store, queries.InboxView(scope="mine", agent_id=bob.id), 0, 10)
    assert [row.id for row in mine] == [r.conversation_id] and mine[0].unread


def test_status_changes_and_snooze_wake(store: Store, ann: AgentRow) -> None:
    r = ingest(store, chat("v1:1"))
    until = datetime.now(UTC) + timedelta(hours=1)
    actions.snooze(store, r.conversation_id, ann, until=until)
    assert actions.wake_snoozed(store, now=until.timestamp() - 10) == []
    assert actions.wake_snoozed(store, now=until.timestamp() + 1) == [r.conversation_id]
    actions.resolve(store, r.conversation_id, ann)
    actions.reopen(store, r.conversation_id, ann)
    detail = queries.conversation_detail(store, r.conversation_id)
    assert detail.status == "open"
    assert events(store).count("status") == 4


def test_label_note_call_and_assign(store: Store, ann: AgentRow, bob: AgentRow) -> None:
    r = ingest(store, chat("v1:1"))
    actions.label(store, r.conversation_id, "VIP", ann)
    actions.note(store, r.conversation_id, "private", ann)
    actions.log_call(store, r.conversation_id, "called about delivery", ann)
    actions.assign(store, r.conversation_id, "bob", ann)
    kinds = [m.kind for m in queries.conversation_messages(store, r.conversation_id)]
    assert kinds == ["inbound", "note", "call"]
    vip = queries.inbox_page(store, queries.InboxView(label="vip"), 0, 10)
    assert vip[0].labels == ("vip",) and vip[0].assignee == "bob"


def test_merge_customers_and_unmerge_restores_exactly(store: Store, ann: AgentRow) -> None:
    a = ingest(store, chat("v1:1", "v1"))
    b = ingest(store, chat("v2:1", "v2"))
    preview = preview_merge(store, a.customer_id, b.customer_id)
    assert preview.identities == ["chat:v2"] and preview.messages == 1
    merge_customers(store, a.customer_id, b.customer_id, ann)
    assert len(queries.customer_timeline(store, a.customer_id)) == 2
    unmerge_customer(store, b.customer_id, ann)
    assert len(queries.customer_timeline(store, a.customer_id)) == 1
    assert len(queries.customer_timeline(store, b.customer_id)) == 1
    with pytest.raises(ActionError):
        unmerge_customer(store, b.customer_id, ann)


def test_merge_conversations(store: Store, ann: AgentRow) -> None:
    a = ingest(store, chat("v1:1"))
    actions.resolve(store, a.conversation_id, ann)
    b = ingest(store, chat("v1:2"))
    actions.merge_conversations(store, b.conversation_id, a.conversation_id, ann)
    assert len(queries.conversation_messages(store, b.conversation_id)) == 2
    with pytest.raises(ActionError):
        actions.reply(store, a.conversation_id, "x", ann)


def test_disabled_agent_cannot_act(store: Store, ann: AgentRow) -> None:
    set_agent_disabled(store, "ann")
    with pytest.raises(ActionError, match="disabled"):
        get_agent(store, "ann")


def test_feed_sees_other_connections_commits(store: Store, ann: AgentRow) -> None:
    feed = Feed(store.database)
    assert feed.poll() == []
    r = ingest(store, chat("v1:1"))
    actions.note(store, r.conversation_id, "n", ann)
    got = feed.wait(2.0)
    assert [e.kind for e in got] == ["message_in", "note"]
    assert got[0].message_id == r.message_id and got[0].data["new_conversation"]
    assert feed.poll() == []


def test_mark_read_writes_only_what_is_unread(store: Store, ann: AgentRow, bob: AgentRow) -> None:
    r = ingest(store, chat("v1:1"))
    assert actions.mark_read(store, r.conversation_id, ann) is True
    # a second console of the same agent: nothing left to mark, so no write wakes the others
    assert actions.mark_read(store, r.conversation_id, ann) is False
    assert actions.mark_read(store, r.conversation_id, bob) is True  # read marks are per agent
    ingest(store, chat("v1:2", text="and another thing"))
    assert actions.mark_read(store, r.conversation_id, ann) is True
    assert events(store).count("read") == 3
    unread = queries.inbox_page(store, queries.InboxView(agent_id=ann.id), 0, 10)
    assert [row.unread for row in unread] == [False]
