"""The inbox's read model: one view of the conversations, counted and read a page at a time.

Every view is a filter over the conversation table; each page is LIMIT/OFFSET on an indexed
order and each count reads an index, so the inbox costs the same at 50 or 50,000 conversations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from omnitui.store.db import Store

# Conversations waiting for an answer first (longest wait first), then the rest by recency.
# The same expressions as the ix_conversation_inbox* indexes (migration 0003), so a page is an
# index walk: resolved conversations have no waiting_since/due_at and sort by recency.
INBOX_ORDER = "coalesce(due_at, waiting_since, 9e15), last_message_at DESC, id DESC"
INBOX_PAGE = 64  # rows the inbox list reads at a time (a tall terminal's screen, and then some)


# "Needs reply": open, the customer waits for an answer. Word for word the WHERE of
# ix_conversation_needs_reply (migration 0008), so SQLite can use that partial index.
NEEDS_REPLY = "c.merged_into IS NULL AND c.status = 'open' AND c.waiting_since IS NOT NULL"


@dataclass(frozen=True, slots=True)
class InboxView:
    scope: str = "all"  # all | mine | unassigned | needs_reply (mine or nobody's, waiting)
    agent_id: int | None = None  # for "mine" and the unread marks
    channel: str | None = None
    status: str | None = (
        "active"  # active (open+pending) | open | pending | snoozed | resolved | any
    )
    label: str | None = None
    unread: bool = False  # only conversations with messages this agent has not read
    failed: bool = False  # only conversations whose latest reply could not be delivered


@dataclass(frozen=True, slots=True)
class InboxRow:
    id: int
    channel: str
    kind: str
    customer_id: int
    customer: str
    subject: str
    status: str
    waiting_since: float | None
    due_at: float | None
    last_message_at: float
    assignee: str | None
    unread: bool
    labels: tuple[str, ...]


def _where(view: InboxView) -> tuple[str, list[Any]]:
    clauses = ["c.merged_into IS NULL"]
    params: list[Any] = []
    if view.scope == "needs_reply":  # (its own status: open and waiting)
        clauses = [NEEDS_REPLY, "(c.assignee_id = ? OR c.assignee_id IS NULL)"]
        params.append(view.agent_id or -1)
    elif view.status == "active":
        clauses.append("c.status IN ('open', 'pending')")
    elif view.status and view.status != "any":
        clauses.append("c.status = ?")
        params.append(view.status)
    if view.scope == "mine":
        clauses.append("c.assignee_id = ?")
        params.append(view.agent_id or -1)
    elif view.scope == "unassigned":
        clauses.append("c.assignee_id IS NULL")
    if view.channel:
        clauses.append("c.channel = ?")
        params.append(view.channel)
    if view.label:  # few conversations carry a label: start from them
        clauses.append(
            "c.id IN (SELECT cl.conversation_id FROM conversation_label cl JOIN label l ON "
            "l.id = cl.label_id WHERE l.name = ?)"
        )
        params.append(view.label)
    if view.unread:
        clauses.append(UNREAD)
        params.append(view.agent_id or -1)
    if view.failed:  # few replies fail: start from the failed outbox rows (ix_outbox_due)
        clauses.append(FAILED)
    return " AND ".join(clauses), params


UNREAD = ("c.last_message_id > coalesce((SELECT r.last_read_message_id FROM conversation_read r "
          "WHERE r.conversation_id = c.id AND r.agent_id = ?), 0)")
# A conversation whose newest outbound reply failed (a later delivered reply settles it).
FAILED = ("c.id IN (SELECT m.conversation_id FROM outbox o JOIN message m ON m.id = o.message_id "
          "WHERE o.state = 'failed' AND NOT EXISTS (SELECT 1 FROM message later WHERE "
          "later.conversation_id = m.conversation_id AND later.kind = 'outbound' AND "
          "later.id > m.id AND coalesce(later.delivery_state, '') != 'failed'))")


def inbox_count(store: Store, view: InboxView) -> int:
    """How many conversations the view holds, read from ix_conversation_count (migration 0006).

    The index is named because the planner prefers a table scan for the wide views, which costs
    10x more at 50,000 conversations; a label view starts from the label's rows instead.
    """
    where, params = _where(view)
    if view.label or view.failed:
        source = "conversation c"
    elif view.scope == "needs_reply":
        source = store.sql.indexed_by("conversation c", "ix_conversation_needs_reply")
    else:
        source = store.sql.indexed_by("conversation c", "ix_conversation_count")
    return int(store.conn.execute(f"SELECT count(*) FROM {source} WHERE {where}", params)
               .fetchone()[0])


def _page_source(store: Store, view: InboxView) -> str:
    """Where a page's ids come from: the index that holds the view in the inbox order, where
    the planner might otherwise sort every row of the view for each page."""
    if view.scope == "needs_reply" and not view.label and not view.failed:
        return store.sql.indexed_by("conversation c", "ix_conversation_needs_reply")
    return "conversation c"


def inbox_page(store: Store, view: InboxView, offset: int, limit: int) -> list[InboxRow]:
    where, params = _where(view)
    # Two steps: pick the page's ids from the index, then dress only those rows.
    rows = store.conn.execute(
        "WITH page AS (SELECT id, row_number() OVER (ORDER BY k, last_message_at DESC, "
        "id DESC) AS pos FROM (SELECT c.id, coalesce(due_at, waiting_since, 9e15) AS k, "
        f"last_message_at FROM {_page_source(store, view)} WHERE {where} ORDER BY {INBOX_ORDER} "
        "LIMIT ? OFFSET ?) AS ordered) "
        "SELECT c.id, c.channel, coalesce((SELECT i.kind FROM identity i WHERE i.customer_id = "
        "c.customer_id AND i.channel = c.channel LIMIT 1), ''), c.customer_id, cu.name, "
        "coalesce(c.subject, ''), c.preview, c.status, c.waiting_since, c.due_at, "
        "c.last_message_at, a.username, "
        "(c.last_message_id > coalesce((SELECT last_read_message_id FROM conversation_read r "
        " WHERE r.conversation_id = c.id AND r.agent_id = ?), 0)), "
        f"(SELECT {store.sql.joined('l.name', ' ')} FROM conversation_label cl JOIN label l "
        " ON l.id = cl.label_id WHERE cl.conversation_id = c.id) "
        "FROM page JOIN conversation c ON c.id = page.id "
        "JOIN customer cu ON cu.id = c.customer_id "
        "LEFT JOIN agent a ON a.id = c.assignee_id ORDER BY page.pos",
        [*params, limit, offset, view.agent_id or -1],
    ).fetchall()
    return [
        InboxRow(
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            r[5] or r[6],
            r[7],
            r[8],
            r[9],
            r[10],
            r[11],
            bool(r[12]),
            tuple((r[13] or "").split()),
        )
        for r in rows
    ]


def inbox_ids(store: Store, view: InboxView) -> list[int]:
    """Every conversation id of the view, in the inbox order (to mark them all at once)."""
    where, params = _where(view)
    return [int(r[0]) for r in store.conn.execute(
        f"SELECT c.id FROM {_page_source(store, view)} WHERE {where} ORDER BY {INBOX_ORDER}",
        params)]
