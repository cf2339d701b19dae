"""A warm transfer's "X is taking over" notice to the customer waits until the transfer can no
longer be undone; an undone transfer's notice never leaves."""

from __future__ import annotations

from omnitui.channels.base import Inbound
from omnitui.core import actions
from omnitui.core.agents import AgentRow
from omnitui.core.ingest import ingest
from omnitui.core.outbox import claim_due
from omnitui.core.undo import UNDO_GRACE, UNDO_WINDOW, undo
from omnitui.store.db import Store

NOTICE = ("SELECT m.text, m.delivery_state, m.failure_reason, o.state, o.next_attempt_at, "
          "m.created_at FROM message m JOIN outbox o ON o.message_id = m.id "
          "WHERE m.conversation_id = ? AND m.kind = 'outbound'")


def customer_writes(store: Store) -> int:
    return ingest(store, Inbound(channel="chat", kind="chat", external_id="v1:1",
                                 address="visitor-1", text="my order?")).conversation_id


def test_the_notice_waits_for_the_undo_window(store: Store, ann: AgentRow,
                                              bob: AgentRow) -> None:
    conv = customer_writes(store)
    actions.transfer(store, conv, "bob", "Order 12, paid, lost by the courier", ann,
                     tell_customer=True)
    text, state, _reason, queued, due, created = store.conn.execute(NOTICE, (conv,)).fetchone()
    assert text == "Bob Builder is taking over and has the whole story."
    assert (state, queued) == ("queued", "queued")
    assert due >= created + UNDO_WINDOW + UNDO_GRACE
    assert claim_due(store, {"chat"}) == []  # not yet due: the hub leaves it
    store.conn.execute("UPDATE outbox SET next_attempt_at = ?", (created - 1,))  # time passes
    assert [c.message_id for c in claim_due(store, {"chat"})] != []


def test_an_undone_transfer_never_tells_the_customer(store: Store, ann: AgentRow,
                                                     bob: AgentRow) -> None:
    conv = customer_writes(store)
    event = actions.transfer(store, conv, "bob", "Order 12, paid, lost by the courier", ann,
                             tell_customer=True)
    assert "undone" in undo(store, event, ann)
    _text, state, reason, queued, _due, _created = store.conn.execute(NOTICE, (conv,)).fetchone()
    assert (state, queued) == ("failed", "failed")
    assert reason == "not sent: the transfer was withdrawn by ann"
    store.conn.execute("UPDATE outbox SET next_attempt_at = 0")
    assert claim_due(store, {"chat"}) == []
