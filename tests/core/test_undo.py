"""Undo: every undoable action, from every kind of starting state, puts back exactly what was
there; and undo refuses, in one sentence, when it is too late, not yours, done twice, or would
overwrite what someone did since."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from omnitui.channels.base import Inbound
from omnitui.core import actions
from omnitui.core.agents import AgentRow, add_agent, set_agent_disabled
from omnitui.core.errors import ActionError, AgentDisabled, NotFound
from omnitui.core.ingest import ingest
from omnitui.core.undo import UNDO_GRACE, UNDO_WINDOW, undo
from omnitui.store.console_queries import status_changes
from omnitui.store.db import Store

# Columns a transfer's undo may change on purpose: it adds a system line to the timeline.
TIMELINE = ("last_message_at", "last_message_id", "message_count")


def chat(visitor: str, n: int = 1, text: str = "hello") -> Inbound:
    return Inbound(channel="chat", kind="chat", external_id=f"{visitor}:{n}", address=visitor,
                   text=text)


def snapshot(store: Store, conv: int, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    row = store.conn.execute("SELECT * FROM conversation WHERE id = ?", (conv,)).fetchone()
    labels = sorted(r[0] for r in store.conn.execute(
        "SELECT l.name FROM conversation_label cl JOIN label l ON l.id = cl.label_id "
        "WHERE cl.conversation_id = ?", (conv,)))
    reads = sorted(tuple(r) for r in store.conn.execute(
        "SELECT agent_id, last_read_message_id FROM conversation_read WHERE conversation_id = ? "
        "AND agent_id != (SELECT id FROM agent WHERE username = 'ann')", (conv,)))
    columns = [d[0] for d in store.conn.execute("SELECT * FROM conversation LIMIT 0").description]
    return {"row": {k: row[k] for k in columns if k not in skip}, "labels": labels,
            "reads": reads}


STARTS: dict[str, Callable[[Store, int, AgentRow], object]] = {
    "open": lambda s, c, a: None,
    "pending": lambda s, c, a: actions.set_pending(s, c, a),
    "snoozed": lambda s, c, a: actions.snooze(
        s, c, a, until=datetime.now(UTC) + timedelta(hours=2), until_reply=True),
    "resolved": lambda s, c, a: actions.resolve(s, c, a),
    "transferred": lambda s, c, a: actions.transfer(s, c, "cat", "earlier note", a),
}
OWNERS = (None, "bob")
LABELLED = (False, True)
ACTIONS: dict[str, Callable[[Store, int, AgentRow], int]] = {
    "resolve": lambda s, c, a: actions.resolve(s, c, a),
    "reopen": lambda s, c, a: actions.reopen(s, c, a),
    "pending": lambda s, c, a: actions.set_pending(s, c, a),
    "snooze": lambda s, c, a: actions.snooze(
        s, c, a, until=datetime.now(UTC) + timedelta(hours=1)),
    "assign": lambda s, c, a: actions.assign(s, c, "bob", a),
    "unassign": lambda s, c, a: actions.assign(s, c, None, a),
    "label": lambda s, c, a: actions.label(s, c, "vip", a),
    "unlabel": lambda s, c, a: actions.label(s, c, "vip", a, remove=True),
    "transfer": lambda s, c, a: actions.transfer(s, c, "bob", "wants a refund", a),
}


def test_every_action_undone_from_every_state_restores_it_exactly(
        store: Store, ann: AgentRow, bob: AgentRow) -> None:
    add_agent(store, "cat", "Cat")
    cases = list(itertools.product(STARTS, OWNERS, LABELLED, ACTIONS))
    changed: set[str] = set()
    for n, (start, owner, labelled, action) in enumerate(cases):
        conv = ingest(store, chat(f"v{n}")).conversation_id
        actions.mark_read(store, conv, bob)
        if owner:
            actions.assign(store, conv, owner, ann)
        if labelled:
            actions.label(store, conv, "vip", ann)
        STARTS[start](store, conv, ann)
        skip = TIMELINE if action == "transfer" else ()
        before = snapshot(store, conv, skip=skip)
        event_id = ACTIONS[action](store, conv, ann)
        if snapshot(store, conv, skip=skip) != before:
            changed.add(action)
        sentence = undo(store, event_id, ann)
        assert sentence.endswith(f" of #{conv} undone."), sentence
        assert snapshot(store, conv, skip=skip) == before, (start, owner, labelled, action)
        last = store.conn.execute("SELECT kind, data FROM event ORDER BY id DESC LIMIT 1")
        kind, data = last.fetchone()
        assert kind == "undo" and json.loads(data)["undone"] == event_id
    assert len(cases) == 5 * 2 * 2 * 9 and changed == set(ACTIONS)


def test_undo_sentences_name_the_action(store: Store, ann: AgentRow, bob: AgentRow) -> None:
    conv = ingest(store, chat("v1")).conversation_id
    assert undo(store, actions.resolve(store, conv, ann), ann) == f"Resolve of #{conv} undone."
    assert undo(store, actions.label(store, conv, "vip", ann), ann) \
        == f"Label vip of #{conv} undone."
    assert undo(store, actions.transfer(store, conv, "bob", "over to you", ann), ann) \
        == f"Transfer to bob of #{conv} undone."


def test_withdrawn_transfer_keeps_its_note_and_says_so(store: Store, ann: AgentRow,
                                                       bob: AgentRow) -> None:
    conv = ingest(store, chat("v1")).conversation_id
    event_id = actions.transfer(store, conv, "bob", "Order 42 is late", ann)
    undo(store, event_id, ann)
    timeline = store.conn.execute("SELECT kind, text FROM message WHERE conversation_id = ? "
                                  "ORDER BY id", (conv,)).fetchall()
    assert [tuple(r) for r in timeline] == [
        ("inbound", "hello"), ("transfer", "Order 42 is late"),
        ("system", "Transfer to bob withdrawn by ann.")]
    row = store.conn.execute("SELECT assignee_id, transfer_message_id FROM conversation "
                             "WHERE id = ?", (conv,)).fetchone()
    assert tuple(row) == (None, None)


def test_too_late(store: Store, ann: AgentRow) -> None:
    conv = ingest(store, chat("v1")).conversation_id
    event_id = actions.resolve(store, conv, ann)
    with pytest.raises(ActionError, match=rf"too late to undo the resolve of #{conv}"):
        undo(store, event_id, ann, now=time.time() + UNDO_WINDOW + UNDO_GRACE + 1)
    assert store.conn.execute("SELECT status FROM conversation WHERE id = ?",
                              (conv,)).fetchone()[0] == "resolved"
    # Just inside the window (a key pressed as the toast fades) still works.
    assert undo(store, event_id, ann, now=time.time() + UNDO_WINDOW) \
        == f"Resolve of #{conv} undone."


def test_only_the_agent_who_did_it(store: Store, ann: AgentRow, bob: AgentRow) -> None:
    conv = ingest(store, chat("v1")).conversation_id
    event_id = actions.resolve(store, conv, ann)
    with pytest.raises(ActionError, match=rf"^Only ann can undo their resolve of #{conv}\.$"):
        undo(store, event_id, bob)


def test_twice(store: Store, ann: AgentRow) -> None:
    conv = ingest(store, chat("v1")).conversation_id
    event_id = actions.set_pending(store, conv, ann)
    undo(store, event_id, ann)
    with pytest.raises(ActionError, match=rf"^The pending of #{conv} was already undone\.$"):
        undo(store, event_id, ann)
    assert store.conn.execute("SELECT count(*) FROM event WHERE kind = 'undo'").fetchone()[0] == 1


def test_conflicts_name_who_and_what(store: Store, ann: AgentRow, bob: AgentRow) -> None:
    conv = ingest(store, chat("v1")).conversation_id
    resolved = actions.resolve(store, conv, ann)
    reopened = actions.reopen(store, conv, bob)
    with pytest.raises(ActionError, match=rf"^Cannot undo the resolve of #{conv}: bob reopened "
                                          r"it since\.$"):
        undo(store, resolved, ann)
    undo(store, reopened, bob)  # bob takes his back: the pair is as if never made
    assert undo(store, resolved, ann) == f"Resolve of #{conv} undone."
    assert store.conn.execute("SELECT status, reopen_count FROM conversation WHERE id = ?",
                              (conv,)).fetchone()[:] == ("open", 0)

    labelled = actions.label(store, conv, "vip", ann)
    actions.label(store, conv, "other", bob)  # another label is no conflict
    actions.assign(store, conv, "bob", bob)
    undo(store, labelled, ann)
    assigned = actions.assign(store, conv, "ann", ann)
    actions.transfer(store, conv, "bob", "yours after all", ann)
    with pytest.raises(ActionError, match=r"ann transferred it to bob since\.$"):
        undo(store, assigned, ann)

    pending = actions.set_pending(store, conv, ann)
    ingest(store, chat("v1", 2, "any news?"))  # the customer's reply reopens it
    with pytest.raises(ActionError, match=r"the customer wrote since and reopened it\.$"):
        undo(store, pending, ann)


def test_what_cannot_be_undone(store: Store, ann: AgentRow) -> None:
    conv = ingest(store, chat("v1")).conversation_id
    with pytest.raises(NotFound, match=r"^There is no action 9999 to undo\.$"):
        undo(store, 9999, ann)
    actions.note(store, conv, "private", ann)
    note_event = store.conn.execute("SELECT max(id) FROM event WHERE kind = 'note'").fetchone()[0]
    with pytest.raises(ActionError, match=r"^The note cannot be undone\.$"):
        undo(store, note_event, ann)
    # A status event written before undo existed says nothing of what it changed.
    with store.write("ann") as tx:
        old = tx.event("status", conversation_id=conv, status="resolved", previous="open")
    with pytest.raises(ActionError, match=r"^The resolve cannot be undone\.$"):
        undo(store, old, ann)


def test_the_timeline_shows_an_undone_change_as_never_made(store: Store, ann: AgentRow) -> None:
    r = ingest(store, chat("v1"))
    kept = actions.label(store, r.conversation_id, "vip", ann)
    undo(store, actions.resolve(store, r.conversation_id, ann), ann)
    changes = status_changes(store, r.customer_id, since=0)
    assert [c.event_id for c in changes] == [kept]


def test_merged_away_or_disabled_cannot_undo(store: Store, ann: AgentRow, bob: AgentRow) -> None:
    first = ingest(store, chat("v1")).conversation_id
    actions.resolve(store, first, ann)
    second = ingest(store, chat("v1", 2, "one more thing")).conversation_id
    assert second != first
    labelled = actions.label(store, first, "vip", ann)
    actions.merge_conversations(store, second, first, ann)
    with pytest.raises(ActionError, match=rf"it was merged into #{second} since\.$"):
        undo(store, labelled, ann)
    pending = actions.set_pending(store, second, bob)
    set_agent_disabled(store, "bob", True)
    with pytest.raises(AgentDisabled):
        undo(store, pending, bob)
