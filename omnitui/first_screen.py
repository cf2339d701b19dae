"""What a console's first screen shows, read in one go before anything is drawn.

The inbox's widgets read these themselves as they mount (the agent's row, the event the live
updates follow from, the default view's count and first page with its suggestion marks, the
header's counts, the status line). A console on PostgreSQL has them read by a helper process
while it loads (cli/read_ahead.py) and hands each widget its part once (`OmniConsole.first_read`);
every later read is the widget's own. No Textual here: the helper never loads it.
"""

from __future__ import annotations

from typing import NamedTuple

from omnitui.config import Settings
from omnitui.core.agents import AgentRow
from omnitui.core.suggestions import suggestion_marks
from omnitui.hub_status import HubStatus, read_hub_status
from omnitui.store.console_queries import newest_event_id
from omnitui.store.db import Store
from omnitui.store.inbox_query import INBOX_PAGE, InboxRow, InboxView, inbox_count, inbox_page
from omnitui.store.inbox_views import default_view, header_views, view_counts


class InboxStart(NamedTuple):
    """The default view as its list first shows it."""

    view: InboxView
    count: int
    page: list[InboxRow]  # its first INBOX_PAGE rows
    suggested: dict[int, str]  # the page's customers with an open "is this …?" suggestion


class FirstScreen(NamedTuple):
    agent: AgentRow
    newest_event: int  # the live updates start after it: nothing stored later is missed
    inbox: InboxStart
    header_counts: list[int]  # of `header_views`, in their order
    hub_status: HubStatus


def read_first_screen(store: Store, settings: Settings, agent: AgentRow) -> FirstScreen:
    """The reads the first screen's widgets make as they mount. (The default view is one of
    the header's unless the config names another: its count is then the header's.)"""
    newest = newest_event_id(store)
    views = header_views(agent.id)
    counts = view_counts(store, views)
    start = default_view(settings.inbox, agent.id)
    count = counts[views.index(start)] if start in views else inbox_count(store, start.view)
    page = inbox_page(store, start.view, 0, INBOX_PAGE) if count else []
    suggested = suggestion_marks(store, [r.customer_id for r in page])
    return FirstScreen(agent, newest, InboxStart(start.view, count, page, suggested), counts,
                       read_hub_status(settings, store))
