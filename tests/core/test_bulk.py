"""Bulk actions: many conversations in one write, the same events (and undo) as single actions,
and conversations changed by someone else since they were marked are skipped, by name."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from omnitui.channels.base import Inbound
from omnitui.core import actions, bulk
from omnitui.core.agents import AgentRow
from omnitui.core.errors import ActionError
from omnitui.core.ingest import ingest
from omnitui.core.undo import undo
from omnitui.store.console_queries import newest_event_id
from omnitui.store.db import Store


def _conversations(store: Store, n: int) -> list[int]:
    return [ingest(store, Inbound(channel="chat", kind="chat", external_id=f"b{i}",
                                  address=f"v{i}", text=f"question {i}")).conversation_id
            for i in range(n)]


def _status(store: Store, cid: int) -> str:
    return str(store.conn.execute("SELECT status FROM conversation WHERE id = ?",
                                  (cid,)).fetchone()[0])


def test_resolve_many_writes_one_status_event_each_and_undoes(store: Store,
                                                              ann: AgentRow) -> None:
    ids = _conversations(store, 5)
    mark = newest_event_id(store)
    result = bulk.apply(store, ann, dict.fromkeys(ids, mark), "resolve")
    assert result.changed == ids and not result.skipped
    assert [_status(store, c) for c in ids] == ["resolved"] * 5
    kinds = store.conn.execute(
        f"SELECT kind, actor FROM event WHERE id IN ({','.join(map(str, result.event_ids))})"
    ).fetchall()
    assert [tuple(k) for k in kinds] == [("status", "ann")] * 5
    assert result.summary("Resolved") == "Resolved 5 conversations."
    for event_id in result.event_ids:  # the same undo as a single resolve
        undo(store, event_id, ann)
    assert [_status(store, c) for c in ids] == ["open"] * 5


def test_changed_since_marked_is_skipped_and_named(store: Store, ann: AgentRow,
                                                   bob: AgentRow) -> None:
    ids = _conversations(store, 4)
    mark = newest_event_id(store)
    actions.resolve(store, ids[1], bob)  # bob resolved one after ann marked it
    ingest(store, Inbound(channel="chat", kind="chat", external_id="again", address="v2",
                          text="hello again"))  # the customer of another wrote again
    actions.label(store, ids[3], "vip", ann)  # ann's own change does not count
    result = bulk.apply(store, ann, dict.fromkeys(ids, mark), "assign", to_username="ann")
    assert result.changed == [ids[0], ids[3]]
    assert [(s.conversation_id, s.reason) for s in result.skipped] == [
        (ids[1], "bob changed its status"), (ids[2], "the customer wrote again")]
    assert result.summary("Assigned") == (
        f"Assigned 2 conversations; skipped #{ids[1]} (bob changed its status), "
        f"#{ids[2]} (the customer wrote again): changed since you marked them.")
    owners = {r[0]: r[1] for r in store.conn.execute("SELECT id, assignee_id FROM conversation")}
    assert owners[ids[0]] == ann.id and owners[ids[1]] is None


def test_label_snooze_and_merged(store: Store, ann: AgentRow) -> None:
    ids = _conversations(store, 2)
    actions.resolve(store, ids[0], ann)  # so v0 writing again opens a third, merged back
    ids.append(ingest(store, Inbound(channel="chat", kind="chat", external_id="b0-again",
                                     address="v0", text="me again")).conversation_id)
    actions.merge_conversations(store, ids[0], ids[2], ann)
    mark = newest_event_id(store)
    labelled = bulk.apply(store, ann, dict.fromkeys(ids, mark), "label", label=" VIP ")
    assert labelled.changed == ids[:2]
    assert labelled.skipped[0].reason == f"it was merged into #{ids[0]}"
    names = store.conn.execute("SELECT count(*) FROM conversation_label cl JOIN label l ON "
                               "l.id = cl.label_id WHERE l.name = 'vip'").fetchone()[0]
    assert names == 2
    until = datetime(2030, 1, 1, tzinfo=UTC).timestamp()
    snoozed = bulk.apply(store, ann, dict.fromkeys(ids[:2], newest_event_id(store)), "snooze",
                         until=until, until_reply=True)
    assert snoozed.changed == ids[:2] and _status(store, ids[1]) == "snoozed"
    assert store.conn.execute("SELECT snoozed_until FROM conversation WHERE id = ?",
                              (ids[1],)).fetchone()[0] == until


def test_bad_requests_are_one_sentence(store: Store, ann: AgentRow) -> None:
    ids = _conversations(store, 1)
    with pytest.raises(ActionError, match="Unknown bulk action 'delete'"):
        bulk.apply(store, ann, {ids[0]: 0}, "delete")
    with pytest.raises(ActionError, match="A label needs a name"):
        bulk.apply(store, ann, {ids[0]: 0}, "label", label="  ")
    with pytest.raises(ActionError, match="Snooze needs"):
        bulk.apply(store, ann, {ids[0]: 0}, "snooze")
    assert _status(store, ids[0]) == "open"
