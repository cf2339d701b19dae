"""The inbox's named views, their counts, and the way to the next customer who waits.

`queries.InboxView` is the filter; this module gives the views the console lists (with the
keys and names the header shows) and `next_needing_reply`, which walks the same partial index
as the "Needs reply" view (migration 0008), so it costs the same at 50 or 50,000 conversations.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from omnitui.store.db import Store
from omnitui.store.inbox_query import INBOX_ORDER, NEEDS_REPLY, InboxView, inbox_count

if TYPE_CHECKING:
    from omnitui.config_inbox import InboxSettings, ViewSettings


@dataclass(frozen=True, slots=True)
class NamedView:
    """A view as the agent sees it: a name, an optional key, and its filter."""

    name: str
    view: InboxView
    key: str | None = None


# The header's views, in order; each with the number key that shows it.
HEADER_VIEWS = (("1", "Needs reply", InboxView(scope="needs_reply")),
                ("2", "Mine", InboxView(scope="mine")),
                ("3", "Unassigned", InboxView(scope="unassigned")),
                ("4", "All", InboxView(scope="all")))

# The picker's further views (besides channels, labels and the config's own).
MORE_VIEWS = (("Unread", InboxView(scope="all", unread=True)),
              ("Waiting on the customer", InboxView(scope="all", status="pending")),
              ("Snoozed", InboxView(scope="all", status="snoozed")),
              ("Resolved", InboxView(scope="all", status="resolved")),
              ("Failed deliveries", InboxView(scope="all", status="any", failed=True)))


def for_agent(view: InboxView, agent_id: int) -> InboxView:
    return replace(view, agent_id=agent_id)


def header_views(agent_id: int) -> list[NamedView]:
    return [NamedView(name, for_agent(view, agent_id), key) for key, name, view in HEADER_VIEWS]


def more_views(agent_id: int) -> list[NamedView]:
    return [NamedView(name, for_agent(view, agent_id)) for name, view in MORE_VIEWS]


def configured_view(view: ViewSettings, agent_id: int) -> NamedView:
    """A view of the config's `[inbox]` for this agent."""
    return NamedView(view.title, InboxView(
        scope=view.scope, agent_id=agent_id, status=view.status, channel=view.channel,
        label=view.label, unread=view.unread, failed=view.failed))


def default_view(inbox: InboxSettings, agent_id: int) -> NamedView:
    """The view the inbox opens on: `[inbox] default_view`, a header view's scope or the name of
    one of the config's views; the first header view when it names neither."""
    views = header_views(agent_id)
    wanted = inbox.default_view
    for named in views:
        if named.view.scope == wanted:
            return named
    return next((configured_view(v, agent_id) for v in inbox.views if v.name == wanted),
                views[0])


def view_counts(store: Store, views: list[NamedView]) -> list[int]:
    """Each view's count, read in one snapshot so the numbers agree with each other."""
    with store.read():
        return [inbox_count(store, v.view) for v in views]


# The inbox order, compared with one row's key: what sorts after (k, last_message_at, id).
_AFTER = ("(coalesce(c.due_at, c.waiting_since, 9e15) > :k OR (coalesce(c.due_at, "
          "c.waiting_since, 9e15) = :k AND (c.last_message_at < :at OR (c.last_message_at = "
          ":at AND c.id < :id))))")


def next_needing_reply(store: Store, agent_id: int, after: int | None = None,
                       *, include_after: bool = False) -> int | None:
    """The conversation that needs this agent's reply next (mine or nobody's, waiting, in the
    inbox order): the first after conversation `after` in that order, wrapping round to the
    most urgent; never `after` itself unless `include_after` (then it comes first when it waits).
    None when nobody waits."""
    scope = f"{NEEDS_REPLY} AND (c.assignee_id = :me OR c.assignee_id IS NULL)"
    params: dict[str, object] = {"me": agent_id}
    source = store.sql.indexed_by("conversation c", "ix_conversation_needs_reply")
    select = f"SELECT c.id FROM {source} WHERE {scope}"
    with store.read():
        if after is not None:
            if include_after:
                found = store.conn.execute(f"{select} AND c.id = :after",
                                           {**params, "after": after}).fetchone()
                if found is not None:
                    return int(found[0])
            key = store.conn.execute(
                "SELECT coalesce(due_at, waiting_since, 9e15), last_message_at FROM conversation "
                "WHERE id = ?", (after,)).fetchone()
            if key is not None:
                found = store.conn.execute(
                    f"{select} AND {_AFTER} AND c.id != :id ORDER BY {INBOX_ORDER} LIMIT 1",
                    {**params, "k": key[0], "at": key[1], "id": after}).fetchone()
                if found is not None:
                    return int(found[0])
        found = store.conn.execute(
            f"{select} AND c.id != :id ORDER BY {INBOX_ORDER} LIMIT 1",
            {**params, "id": after if after is not None else -1}).fetchone()
    return None if found is None else int(found[0])
