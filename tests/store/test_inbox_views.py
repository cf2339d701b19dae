"""Inbox views: the header's count (read through a named index) and the pages agree, for every
view; a view the index could not serve would fail here with "no query solution"."""

from __future__ import annotations

import itertools

from omnitui.channels.base import Inbound
from omnitui.core import actions
from omnitui.core.agents import AgentRow
from omnitui.core.ingest import ingest
from omnitui.store import queries
from omnitui.store.db import Store

SCOPES = ("all", "mine", "unassigned")
STATUSES = ("active", "open", "pending", "snoozed", "resolved", "any")


def _shop(store: Store, ann: AgentRow, bob: AgentRow) -> None:
    """25 conversations on two channels in every status, owner and label mix, one merged away."""
    ids = []
    for n in range(24):
        channel, kind = (("chat", "chat"), ("mail", "email"))[n % 2]
        ids.append(ingest(store, Inbound(channel=channel, kind=kind, external_id=f"x{n}",
                                         address=f"c{n}@example.org", text=f"hello {n}"))
                   .conversation_id)
    for n, cid in enumerate(ids):
        if n % 3:
            actions.assign(store, cid, ("ann", "bob")[n % 3 - 1], ann)
        if n % 4 == 1:
            actions.set_pending(store, cid, ann)
        elif n % 4 == 2:
            actions.resolve(store, cid, ann)
        elif n % 8 == 3:
            actions.snooze(store, cid, ann, until_reply=True)
        if n % 5 == 0:
            actions.label(store, cid, "vip", ann)
    # #2 is resolved, so c2 writing again opens a new conversation: merged back into #2
    again = ingest(store, Inbound(channel="chat", kind="chat", external_id="x-again",
                                  address="c2@example.org", text="me again")).conversation_id
    actions.merge_conversations(store, ids[2], again, ann)


def _pages(store: Store, view: queries.InboxView) -> list[int]:
    rows: list[int] = []
    while page := queries.inbox_page(store, view, len(rows), 5):
        rows += [r.id for r in page]
    return rows


def test_count_matches_pages_and_table_for_every_view(store: Store, ann: AgentRow,
                                                      bob: AgentRow) -> None:
    _shop(store, ann, bob)
    table = [dict(r) for r in store.conn.execute(
        "SELECT c.id, c.status, c.assignee_id, c.channel, c.merged_into, "
        "(SELECT count(*) FROM conversation_label cl WHERE cl.conversation_id = c.id) AS labels "
        "FROM conversation c")]
    assert any(r["merged_into"] for r in table) and any(r["labels"] for r in table)
    wanted_status = {"active": {"open", "pending"}, "any": {"open", "pending", "snoozed",
                                                             "resolved"}}
    checked = 0
    for scope, status, channel, label in itertools.product(
            SCOPES, STATUSES, (None, "chat", "mail"), (None, "vip")):
        view = queries.InboxView(scope=scope, agent_id=ann.id, status=status, channel=channel,
                                 label=label)
        expected = {
            r["id"] for r in table
            if r["merged_into"] is None
            and r["status"] in wanted_status.get(status, {status})
            and (scope != "mine" or r["assignee_id"] == ann.id)
            and (scope != "unassigned" or r["assignee_id"] is None)
            and (channel is None or r["channel"] == channel)
            and (label is None or r["labels"])}
        pages = _pages(store, view)
        assert queries.inbox_count(store, view) == len(expected), view
        assert sorted(pages) == sorted(expected), view
        checked += bool(expected)
    assert checked > 40  # the shop is varied enough that most views hold something

