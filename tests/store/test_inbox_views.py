"""Inbox views: the header's count (read through a named index) and the pages agree, for every
view; a view the index could not serve would fail here with "no query solution"."""

from __future__ import annotations

import itertools

from omnitui.channels.base import Inbound
from omnitui.core import actions
from omnitui.core.agents import AgentRow
from omnitui.core.ingest import ingest
from omnitui.store import inbox_views, queries
from omnitui.store.db import Store

SCOPES = ("all", "mine", "unassigned", "needs_reply")
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
        "SELECT c.id, c.status, c.assignee_id, c.channel, c.merged_into, c.waiting_since, "
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
            and (scope != "needs_reply" or (r["status"] == "open" and r["waiting_since"]
                                            and r["assignee_id"] in (None, ann.id)))
            and (scope == "needs_reply" or r["status"] in wanted_status.get(status, {status}))
            and (scope != "mine" or r["assignee_id"] == ann.id)
            and (scope != "unassigned" or r["assignee_id"] is None)
            and (channel is None or r["channel"] == channel)
            and (label is None or r["labels"])}
        pages = _pages(store, view)
        assert queries.inbox_count(store, view) == len(expected), view
        assert sorted(pages) == sorted(expected), view
        checked += bool(expected)
    assert checked > 40  # the shop is varied enough that most views hold something



def test_needs_reply_order_and_next(store: Store, ann: AgentRow, bob: AgentRow) -> None:
    """Needs reply is the open, waiting conversations that are mine or nobody's, most urgent
    first; `next_needing_reply` walks them in that order and wraps round."""
    _shop(store, ann, bob)
    view = queries.InboxView(scope="needs_reply", agent_id=ann.id)
    order = _pages(store, view)
    assert len(order) >= 3
    keys = [store.conn.execute("SELECT coalesce(due_at, waiting_since, 9e15), assignee_id, "
                               "status FROM conversation WHERE id = ?", (c,)).fetchone()
            for c in order]
    assert [k[0] for k in keys] == sorted(k[0] for k in keys)
    assert all(k[1] in (None, ann.id) and k[2] == "open" for k in keys)
    walked = [inbox_views.next_needing_reply(store, ann.id)]
    for _ in range(len(order)):
        walked.append(inbox_views.next_needing_reply(store, ann.id, walked[-1]))
    assert walked == [*order, order[0]]
    assert inbox_views.next_needing_reply(store, ann.id, order[1], include_after=True) == order[1]
    actions.resolve(store, order[1], ann)  # answered: the next one is the one after it
    assert inbox_views.next_needing_reply(store, ann.id, order[1]) == order[0]  # (wraps)
    where = f"{queries.NEEDS_REPLY} AND (c.assignee_id = 1 OR c.assignee_id IS NULL)"
    if store.database.is_postgres:  # the partial index answers the view's WHERE (on so few rows
        # the planner would read the table itself unless told not to)
        with store.read() as tx:
            tx.execute("SET LOCAL enable_seqscan = off")
            plan = " ".join(r[0] for r in tx.all(
                f"EXPLAIN SELECT count(*) FROM conversation c WHERE {where}"))
        assert "ix_conversation_needs_reply" in plan
        return
    plan = " ".join(r[3] for r in store.conn.execute(
        "EXPLAIN QUERY PLAN SELECT count(*) FROM conversation c INDEXED BY "
        f"ix_conversation_needs_reply WHERE {where}"))
    assert "ix_conversation_needs_reply" in plan and "SCAN c USING INDEX" in plan


def test_unread_and_failed_views(store: Store, ann: AgentRow, bob: AgentRow) -> None:
    _shop(store, ann, bob)
    unread = queries.InboxView(scope="all", agent_id=ann.id, unread=True)
    before = queries.inbox_count(store, unread)
    first = _pages(store, unread)[0]
    actions.mark_read(store, first, ann)
    assert queries.inbox_count(store, unread) == before - 1
    failed = queries.InboxView(scope="all", status="any", failed=True)
    assert queries.inbox_count(store, failed) == 0
